using System.Buffers.Binary;
using static ExtensionCache.Extension.Archives.ZipFieldLocations;

namespace ExtensionCache.Extension.Archives;

/// <summary>The one walk over a zip extra field's blocks; a block that runs past the field's end ends the walk.</summary>
public static class ZipExtraField
{
    /// <summary>Finds the first block with <paramref name="id"/>; <paramref name="data"/> is its data.</summary>
    public static bool TryFind(ReadOnlySpan<byte> extra, ushort id, out ReadOnlySpan<byte> data)
    {
        while (extra.Length >= ExtraField.Data)
        {
            var blockId = BinaryPrimitives.ReadUInt16LittleEndian(extra[ExtraField.Id..]);
            var size = BinaryPrimitives.ReadUInt16LittleEndian(extra[ExtraField.DataSize..]);
            if (ExtraField.Data + size > extra.Length)
            {
                break;
            }

            if (blockId == id)
            {
                data = extra.Slice(ExtraField.Data, size);
                return true;
            }

            extra = extra[(ExtraField.Data + size)..];
        }

        data = default;
        return false;
    }
}
