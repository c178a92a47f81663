extern alias client;

using ExtensionCache.Extension.Configuration;
using ExtensionCache.Extension.Publishing;
using ClientPaths = client::ExtensionCache.Client.Paths;

namespace ExtensionCache.Tests.Configuration;

/// <summary>
/// One table of bundle names and one of cache roots, each case run against the extension (as it reads
/// <c>EXTENSION_CACHE_BUNDLES</c> and <c>EXTENSION_CACHE_ROOT</c>) and against the client (its locator and root
/// resolver): a name or root one side accepts, the other accepts the same way; one side refuses, the other refuses
/// for the same reason.
/// </summary>
public sealed class SharedRuleTests
{
    private const string Root = "/var/cache-root";

    /// <summary>
    /// A name and, when it is refused, what both refusals say. Not in the table: ';', '=' and whitespace around a
    /// name, which are the syntax of the bundle list (the extension trims and splits there) rather than of names.
    /// </summary>
    public static TheoryData<string, string?> Names => new()
    {
        { "deps", null },
        { "Deps_2.0-rc1", null },
        { "a..b", null },
        { "-dash-first", null },
        { "trailing.", null },
        { new string('n', 64), null },
        { new string('n', 65), "the name is 65 characters long; expected at most 64" },
        { string.Empty, "the name is empty" },
        { ".", "is not a plain folder name" },
        { "..", "is not a plain folder name" },
        { ".hidden", "not starting with '.'" },
        { ".status", "not starting with '.'" },
        { ".store", "not starting with '.'" },
        { ".staging", "not starting with '.'" },
        { ".link-deps", "not starting with '.'" },
        { "../etc", "is not a plain folder name" },
        { "a/b", "is not a plain folder name" },
        { "/abs", "is not a plain folder name" },
        { "a\\b", "is not a plain folder name" },
        { "a b", "is not a plain folder name" },
        { "tab\there", "is not a plain folder name" },
        { "line\nbreak", "is not a plain folder name" },
        { "caf\u00e9", "is not a plain folder name" },
        { "nul\0byte", "is not a plain folder name" },
        { "a#b", "is not a plain folder name" },
        { "a?b", "is not a plain folder name" },
        { "*", "is not a plain folder name" },
        { "~", "is not a plain folder name" },
    };

    /// <summary>EXTENSION_CACHE_ROOT, TMPDIR, then the root both resolve or what both refusals say.</summary>
    public static TheoryData<string?, string?, string?, string?> Roots => new()
    {
        { null, null, "/tmp/extension-cache", null },
        { null, "/sandbox/tmp", "/sandbox/tmp/extension-cache", null },
        { null, "/sandbox/tmp/", "/sandbox/tmp/extension-cache", null },
        { null, " /sandbox/tmp\t", "/sandbox/tmp/extension-cache", null },
        { null, "relative/tmp", "/tmp/extension-cache", null },
        { null, "./tmp", "/tmp/extension-cache", null },
        { null, "  ", "/tmp/extension-cache", null },
        { "  ", "/sandbox/tmp", "/sandbox/tmp/extension-cache", null },
        { "/custom", "/ignored", "/custom", null },
        { " /custom\t", null, "/custom", null },
        { "/custom/", null, "/custom", null },
        { "/a/b/../c/./d", null, "/a/c/d", null },
        { "relative/cache", null, null, "EXTENSION_CACHE_ROOT='relative/cache' is not an absolute path; expected" },
        { " ./cache ", "/sandbox/tmp", null, "EXTENSION_CACHE_ROOT='./cache' is not an absolute path; expected" },
        { "~/cache", null, null, "EXTENSION_CACHE_ROOT='~/cache' is not an absolute path; expected" },
        { "/", null, null, "EXTENSION_CACHE_ROOT='/' is a file system root; expected" },
        { "//", null, null, "EXTENSION_CACHE_ROOT='//' is a file system root; expected" },
        { "/tmp/..", null, null, "EXTENSION_CACHE_ROOT='/tmp/..' is a file system root; expected" },
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void The_extension_and_the_client_accept_and_refuse_the_same_bundle_names(string name, string? refusal)
    {
        var extension = Record.Exception(() => Load(("EXTENSION_CACHE_BUNDLES", $"{name}=file:///opt/bundle.zip"), ("EXTENSION_CACHE_ROOT", Root)));
        var locator = new ClientPaths.BundleLocator(Root);
        var client = Record.Exception(() => locator.GetBundlePath(name));

        if (refusal is null)
        {
            Assert.Null(extension);
            Assert.Null(client);
            var options = Load(("EXTENSION_CACHE_BUNDLES", $"{name}=file:///opt/bundle.zip"), ("EXTENSION_CACHE_ROOT", Root));
            var publisher = new Publisher(options.Root);
            Assert.Equal(name, Assert.Single(options.Bundles).Name);
            Assert.Equal(publisher.PublishedPath(name), locator.GetBundlePath(name));
            Assert.Equal(publisher.StatusPath(name), locator.GetStatusPath(name));
            return;
        }

        var error = Assert.Single(Assert.IsType<CacheOptionsException>(extension).Errors);
        Assert.StartsWith("EXTENSION_CACHE_BUNDLES entry", error, StringComparison.Ordinal);
        Assert.Contains(refusal, error, StringComparison.Ordinal);
        Assert.Contains(refusal, Assert.IsType<ArgumentException>(client).Message, StringComparison.Ordinal);

        // Every path the client builds from a name refuses it, not just the bundle path.
        Assert.Throws<ArgumentException>(() => locator.GetManifestPath(name));
        Assert.Throws<ArgumentException>(() => locator.GetStatusPath(name));
    }

    [Theory]
    [MemberData(nameof(Roots))]
    public void The_extension_and_the_client_resolve_and_refuse_the_same_cache_roots(string? rootValue, string? tempValue, string? root, string? refusal)
    {
        var variables = new Dictionary<string, string?>
        {
            ["EXTENSION_CACHE_BUNDLES"] = "deps=file:///opt/bundle.zip",
            ["EXTENSION_CACHE_ROOT"] = rootValue,
            ["TMPDIR"] = tempValue,
        };
        string? Lookup(string name) => variables.GetValueOrDefault(name);

        if (refusal is null)
        {
            Assert.Equal(root, CacheOptions.FromEnvironment(Lookup).Root);
            Assert.Equal(root, ClientPaths.CacheRoot.Resolve(Lookup));
            return;
        }

        var error = Assert.Single(Assert.Throws<CacheOptionsException>(() => CacheOptions.FromEnvironment(Lookup)).Errors);
        Assert.StartsWith(refusal, error, StringComparison.Ordinal);
        Assert.StartsWith(refusal, Assert.Throws<InvalidOperationException>(() => ClientPaths.CacheRoot.Resolve(Lookup)).Message, StringComparison.Ordinal);
    }

    private static CacheOptions Load(params (string Key, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Key, v => v.Value);
        return CacheOptions.FromEnvironment(name => map.GetValueOrDefault(name));
    }
}
