using ExtensionCache.Extension.Archives;
using ExtensionCache.Extension.Failures;

namespace ExtensionCache.Tests.Archives;

public sealed class EntryPathPolicyTests
{
    [Theory]
    [InlineData("a/b/c.txt", "a/b/c.txt")]
    [InlineData("./a//b/./c", "a/b/c")]
    [InlineData("dir/", "dir")]
    [InlineData("a/b/", "a/b")]
    [InlineData("a//", "a")]
    [InlineData("a/./", "a")]
    [InlineData("./", "")]
    public void Normalizes_plain_names(string name, string expected) =>
        Assert.Equal(expected, EntryPathPolicy.Normalize(name));

    [Fact]
    public void An_already_normal_name_is_returned_as_it_is() =>
        Assert.Same("node_modules/a/index.js", EntryPathPolicy.Normalize("node_modules/a/index.js"));

    [Theory]
    [InlineData(255, 1, true)]
    [InlineData(256, 1, false)]
    [InlineData(85, 3, true)]
    [InlineData(86, 3, false)]
    public void A_segment_may_have_at_most_255_bytes_of_UTF8(int characters, int bytesPerCharacter, bool allowed)
    {
        var segment = new string(bytesPerCharacter == 1 ? 'a' : '\u20ac', characters);
        var name = $"dir/{segment}/file";
        if (allowed)
        {
            Assert.Equal(name, EntryPathPolicy.Normalize(name));
        }
        else
        {
            var error = Assert.Throws<BundleException>(() => EntryPathPolicy.Normalize(name));
            Assert.Contains("longer than 255 bytes", error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("/etc/passwd", "absolute")]
    [InlineData("a/../../b", "'..'")]
    [InlineData("..", "'..'")]
    [InlineData("a\\b", "backslash")]
    [InlineData("a\0b", "NUL")]
    [InlineData(".extension-cache-manifest.json", "reserved")]
    [InlineData("./.extension-cache-manifest.json", "reserved")]
    [InlineData(".extension-cache-entries", "reserved")]
    public void Refuses_unsafe_names(string name, string rule)
    {
        var error = Assert.Throws<BundleException>(() => EntryPathPolicy.Normalize(name));

        Assert.Equal(FailureKind.BundleUnsafe, error.Kind);
        Assert.Contains(rule, error.Message, StringComparison.Ordinal);
        Assert.Contains(EntryPathPolicy.Display(name), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("node_modules/.bin/x", "../lodash/cli.js")]
    [InlineData("a/b/c", "../../d")]
    [InlineData("link", "target/inside")]
    [InlineData("link", "./same")]
    public void Accepts_links_that_stay_inside(string link, string target) =>
        EntryPathPolicy.CheckLinkTarget(link, link, target);

    [Theory]
    [InlineData("link", "../x", "leaves the bundle")]
    [InlineData("a/link", "../../x", "leaves the bundle")]
    [InlineData("link", "/abs", "absolute")]
    [InlineData("link", "a/../b", "'..' after a name")]
    [InlineData("link", "", "empty target")]
    public void Refuses_links_that_could_leave(string link, string target, string rule)
    {
        var error = Assert.Throws<BundleException>(() => EntryPathPolicy.CheckLinkTarget(link, link, target));

        Assert.Contains(rule, error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{link}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Display_escapes_control_characters() =>
        Assert.Equal("a\\x00b\\x0a", EntryPathPolicy.Display("a\0b\n"));
}
