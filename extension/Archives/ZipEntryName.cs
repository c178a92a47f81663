using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using static ExtensionCache.Extension.Archives.ZipFieldLocations;

namespace ExtensionCache.Extension.Archives;

/// <summary>
/// The name a zip entry is unpacked under, read as Info-ZIP's unzip reads it: when the UTF-8 flag is clear and the
/// header carries a current Unicode Path extra field (0x7075: version 1, the CRC-32 of the name field, a UTF-8
/// name), that name; otherwise the name field, read as UTF-8 whatever the flag says. One rule for the central
/// directory and the local headers.
/// </summary>
public static class ZipEntryName
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The entry's name; a name that is not UTF-8 is refused (<see cref="EntryPathPolicy.NotUtf8Rule"/>), shown as Latin-1.</summary>
    public static string Read(ushort flags, ReadOnlySpan<byte> name, ReadOnlySpan<byte> extra) =>
        TryRead(flags, name, extra) ?? throw EntryPathPolicy.Refuse(Encoding.Latin1.GetString(name), EntryPathPolicy.NotUtf8Rule);

    /// <summary>The entry's name, or null when it is not UTF-8.</summary>
    public static string? TryRead(ushort flags, ReadOnlySpan<byte> name, ReadOnlySpan<byte> extra)
    {
        if ((flags & Flags.Utf8) == 0
            && ZipExtraField.TryFind(extra, ExtraField.UnicodePathId, out var unicode)
            && unicode.Length > ExtraField.UnicodePathName
            && unicode[ExtraField.UnicodePathVersion] == 1
            && BinaryPrimitives.ReadUInt32LittleEndian(unicode[ExtraField.UnicodePathNameCrc32..]) == Crc32.HashToUInt32(name)
            && Decode(unicode[ExtraField.UnicodePathName..]) is { } unicodeName)
        {
            return unicodeName;
        }

        return Decode(name);
    }

    private static string? Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
