namespace ExtensionCache.IntegrationTests.EndToEnd;

/// <summary>layer/template.yaml: what the console offers the layer for (CompatibleRuntimes) within CloudFormation's limits.</summary>
public sealed class LayerTemplateTests
{
    // PublishLayerVersion and AWS::Lambda::LayerVersion take at most 15 compatible runtimes.
    private const int MaxCompatibleRuntimes = 15;

    // Amazon Linux 2 (glibc 2.26): the binary, linked against glibc 2.34, cannot start there.
    private static readonly string[] AmazonLinux2 = ["provided", "provided.al2", "python3.9", "python3.10", "python3.11", "java8", "java8.al2", "java11", "java17", "ruby3.2", "nodejs16.x", "nodejs18.x", "dotnet6"];

    [Fact]
    public void Both_layers_list_the_same_Amazon_Linux_2023_runtimes_within_the_limit()
    {
        var lists = CompatibleRuntimes(File.ReadAllLines(Path.Combine(RepositoryRoot.Path, "layer", "template.yaml")));

        Assert.Equal(2, lists.Count);
        Assert.Equal(lists[0], lists[1]);
        var runtimes = lists[0];
        Assert.InRange(runtimes.Count, 1, MaxCompatibleRuntimes);
        Assert.Equal(runtimes.Count, runtimes.Distinct(StringComparer.Ordinal).Count());
        Assert.Empty(runtimes.Intersect(AmazonLinux2, StringComparer.Ordinal));
        foreach (var expected in new[] { "provided.al2023", "nodejs24.x", "python3.14", "java25", "dotnet10", "ruby4.0" })
        {
            Assert.Contains(expected, runtimes);
        }
    }

    /// <summary>
    /// The items of each <c>CompatibleRuntimes:</c> block, read line by line: the template's own short-form tags
    /// (!Sub, !Ref) are not plain YAML, and two flat lists need no YAML library.
    /// </summary>
    private static List<List<string>> CompatibleRuntimes(string[] lines)
    {
        var lists = new List<List<string>>();
        List<string>? current = null;
        foreach (var line in lines)
        {
            var text = line.Trim();
            if (text == "CompatibleRuntimes:")
            {
                lists.Add(current = []);
            }
            else if (current is not null && text.StartsWith("- ", StringComparison.Ordinal))
            {
                current.Add(text[2..].Trim());
            }
            else if (text.Length > 0 && !text.StartsWith('#'))
            {
                current = null;
            }
        }

        return lists;
    }
}
