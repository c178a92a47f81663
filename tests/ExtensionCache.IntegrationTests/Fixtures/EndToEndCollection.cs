namespace ExtensionCache.IntegrationTests.Fixtures;

/// <summary>One layer build and one s3rver for every end-to-end test; the tests in it run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class EndToEndCollection : ICollectionFixture<LayerFixture>, ICollectionFixture<S3ServerFixture>
{
    public const string Name = "end-to-end";
}
