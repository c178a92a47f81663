namespace ExtensionCache.Extension.Archives;

/// <summary>
/// Signatures, sizes and field offsets of the zip records the extension reads (PKWARE APPNOTE 4.3, 4.5), so no
/// parser reads a bare number. Every field is little-endian.
/// </summary>
public static class ZipFieldLocations
{
    /// <summary>General purpose bit flags of a local or central header.</summary>
    public static class Flags
    {
        public const ushort Encrypted = 0x0001;
        public const ushort DataDescriptor = 0x0008;

        /// <summary>The name field is UTF-8 (bit 11, the "language encoding flag").</summary>
        public const ushort Utf8 = 0x0800;
    }

    /// <summary>Compression methods the extension inflates.</summary>
    public static class Methods
    {
        public const ushort Stored = 0;
        public const ushort Deflate = 8;
        public const ushort Zstd = 93;
    }

    /// <summary>The local file header in front of each entry's data, followed by the name and the extra field.</summary>
    public static class LocalFileHeader
    {
        public const uint SignatureValue = 0x04034b50;
        public const int Size = 30;
        public const int Signature = 0;
        public const int Flags = 6;
        public const int Method = 8;
        public const int Crc32 = 14;
        public const int CompressedSize = 18;
        public const int UncompressedSize = 22;
        public const int NameLength = 26;
        public const int ExtraLength = 28;
    }

    /// <summary>One record of the central directory, followed by the name, the extra field and the comment.</summary>
    public static class CentralDirectoryHeader
    {
        public const uint SignatureValue = 0x02014b50;
        public const int Size = 46;
        public const int Signature = 0;
        public const int VersionMadeBy = 4;
        public const int Flags = 8;
        public const int Method = 10;
        public const int LastModifiedTime = 12;
        public const int LastModifiedDate = 14;
        public const int Crc32 = 16;
        public const int CompressedSize = 20;
        public const int UncompressedSize = 24;
        public const int NameLength = 28;
        public const int ExtraLength = 30;
        public const int CommentLength = 32;
        public const int ExternalAttributes = 38;
        public const int LocalHeaderOffset = 42;
    }

    /// <summary>The end-of-central-directory record, followed by the archive comment (at most 65,535 bytes).</summary>
    public static class EndOfCentralDirectory
    {
        public const uint SignatureValue = 0x06054b50;
        public const int Size = 22;
        public const int Signature = 0;
        public const int Disk = 4;
        public const int CentralDirectoryDisk = 6;
        public const int Entries = 10;
        public const int CentralDirectorySize = 12;
        public const int CentralDirectoryOffset = 16;
        public const int CommentLength = 20;
        public const int MaxCommentLength = ushort.MaxValue;
    }

    /// <summary>The ZIP64 end-of-central-directory locator, just before the end-of-central-directory record.</summary>
    public static class Zip64Locator
    {
        public const uint SignatureValue = 0x07064b50;
        public const int Size = 20;
        public const int Signature = 0;
        public const int RecordOffset = 8;
    }

    /// <summary>The ZIP64 end-of-central-directory record, where the locator points.</summary>
    public static class Zip64EndOfCentralDirectory
    {
        public const uint SignatureValue = 0x06064b50;
        public const int Size = 56;
        public const int Signature = 0;
        public const int Disk = 16;
        public const int CentralDirectoryDisk = 20;
        public const int Entries = 32;
        public const int CentralDirectorySize = 40;
        public const int CentralDirectoryOffset = 48;
    }

    /// <summary>One block of an extra field: an id, the data's size, the data.</summary>
    public static class ExtraField
    {
        public const int Id = 0;
        public const int DataSize = 2;
        public const int Data = 4;

        /// <summary>The ZIP64 sizes and offset, present where the 32-bit field is 0xFFFFFFFF, in that order.</summary>
        public const ushort Zip64Id = 0x0001;

        /// <summary>Info-ZIP's extended timestamp: a flags byte, then the mtime in unix seconds when bit 0 is set.</summary>
        public const ushort ExtendedTimestampId = 0x5455;
        public const int ExtendedTimestampFlags = 0;
        public const int ExtendedTimestampModified = 1;
        public const byte ExtendedTimestampHasModified = 0x01;

        /// <summary>Info-ZIP's Unicode Path: a version byte (1), the CRC-32 of the header's name field, the name in UTF-8.</summary>
        public const ushort UnicodePathId = 0x7075;
        public const int UnicodePathVersion = 0;
        public const int UnicodePathNameCrc32 = 1;
        public const int UnicodePathName = 5;
    }
}
