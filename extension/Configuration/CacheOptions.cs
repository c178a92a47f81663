using System.Globalization;
using ExtensionCache.Extension.Logging;

namespace ExtensionCache.Extension.Configuration;

/// <summary>
/// Every setting of the extension, read from the environment in one place, each with its default next to it
/// (the README table and <c>--help</c> list the same variables).
/// </summary>
public sealed record CacheOptions(
    IReadOnlyList<BundleSpec> Bundles,
    string Root,
    CacheMode Mode,
    ErrorPolicy OnError,
    CacheLimits Limits,
    int VCpus,
    LogLevel? LogLevel,
    RefreshOptions Refresh,
    InitializationType Initialization,
    bool Metrics)
{
    public const string BundlesVariable = BundleListParser.Variable;

    public const string RootVariable = CacheRootRule.RootVariable;
    public const string DefaultRootFolder = CacheRootRule.FolderName;
    public const string DefaultTempDirectory = CacheRootRule.DefaultTempDirectory;

    public const string ModeVariable = "EXTENSION_CACHE_MODE";
    public const CacheMode DefaultMode = CacheMode.BeforeRegister;

    public const string OnErrorVariable = "EXTENSION_CACHE_ON_ERROR";
    public const ErrorPolicy DefaultOnError = ErrorPolicy.Fail;

    public const string MaxBytesVariable = "EXTENSION_CACHE_MAX_BYTES";
    public const long DefaultMaxBytes = 10L * 1024 * 1024 * 1024;

    public const string MaxEntriesVariable = "EXTENSION_CACHE_MAX_ENTRIES";
    public const int DefaultMaxEntries = 200_000;
    public const int MaxMaxEntries = 100_000_000;

    public const string ConcurrencyVariable = "EXTENSION_CACHE_CONCURRENCY";
    public const int MinDefaultConcurrency = 4;
    public const int MaxDefaultConcurrency = 12;
    public const int RequestsPerVCpu = 2;
    public const int MaxConcurrency = 64;

    public const string PartSizeVariable = "EXTENSION_CACHE_PART_SIZE_MB";
    /// <summary>0: automatic, see <c>PartPlan</c> (4 MiB for small objects, 8-16 MiB for larger ones).</summary>
    public const int DefaultPartSizeMb = 0;

    /// <summary>Below this much function memory the default stays at fixed 4 MiB parts (up to 64 MiB in flight is too much there).</summary>
    public const int AutomaticPartsFromMemoryMb = 1024;
    public const int SmallMemoryPartSizeMb = 4;
    public const int MaxPartSizeMb = 512;

    public const string WorkersVariable = "EXTENSION_CACHE_WORKERS";
    public const int MaxWorkers = 64;

    public const string LogLevelVariable = "EXTENSION_CACHE_LOG_LEVEL";

    public const string MemoryVariable = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE";

    public const string RefreshVariable = "EXTENSION_CACHE_REFRESH_SECONDS";
    public const int MaxRefreshSeconds = BundleListParser.MaxRefreshSeconds;

    public const string RefreshWaitVariable = "EXTENSION_CACHE_REFRESH_WAIT_MS";
    public const int DefaultRefreshWaitMs = 100;
    public const int MaxRefreshWaitMs = 10_000;

    public const string MetricsVariable = "EXTENSION_CACHE_METRICS";


    /// <summary>Lambda gives one vCPU per 1,769 MB, up to 6 at 10,240 MB.</summary>
    public const int MegabytesPerVCpu = 1769;
    public const int MaxVCpus = 6;
    public const int DefaultMemoryMb = MegabytesPerVCpu;

    /// <summary>Reads and validates every variable; throws <see cref="CacheOptionsException"/> with all problems.</summary>
    public static CacheOptions FromEnvironment(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var errors = new List<string>();
        string? Read(string name)
        {
            var value = environment(name);
            return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
        }

        var parsed = BundleListParser.Parse(Read(BundlesVariable), errors);
        var refreshSeconds = ReadInt(Read(RefreshVariable), RefreshVariable, 0, MaxRefreshSeconds, errors) ?? 0;

        // A fragment wins over the variable; a pinned bundle never refreshes (a pin, like an S3 versionId, is a version).
        var bundles = parsed.Select(b => b with { RefreshSeconds = IsPinned(b) ? 0 : b.RefreshFromFragment ?? refreshSeconds }).ToList();
        var refreshWaitMs = ReadInt(Read(RefreshWaitVariable), RefreshWaitVariable, 0, MaxRefreshWaitMs, errors) ?? DefaultRefreshWaitMs;
        var metrics = Read(MetricsVariable)?.ToLowerInvariant() switch
        {
            null or "on" => true,
            "off" => false,
            _ => Invalid(errors, MetricsVariable, Read(MetricsVariable), "expected on or off", true),
        };
        var initialization = InitializationTypes.Parse(environment(InitializationTypes.Variable));
        var root = CacheRootRule.Resolve(environment(RootVariable), environment(CacheRootRule.TempVariable), errors);

        var mode = Read(ModeVariable)?.ToLowerInvariant() switch
        {
            null => DefaultMode,
            "before-register" => CacheMode.BeforeRegister,
            "overlap" => CacheMode.Overlap,
            _ => Invalid(errors, ModeVariable, Read(ModeVariable), "expected before-register or overlap", DefaultMode),
        };

        var onError = Read(OnErrorVariable)?.ToLowerInvariant() switch
        {
            null => DefaultOnError,
            "fail" => ErrorPolicy.Fail,
            "continue" => ErrorPolicy.Continue,
            _ => Invalid(errors, OnErrorVariable, Read(OnErrorVariable), "expected fail or continue", DefaultOnError),
        };

        var maxBytes = ReadByteSize(Read(MaxBytesVariable), errors) ?? DefaultMaxBytes;
        var maxEntries = ReadInt(Read(MaxEntriesVariable), MaxEntriesVariable, 1, MaxMaxEntries, errors) ?? DefaultMaxEntries;
        var vCpus = VCpusFor(Read(MemoryVariable));
        var concurrency = ReadInt(Read(ConcurrencyVariable), ConcurrencyVariable, 1, MaxConcurrency, errors) ?? DefaultConcurrency(vCpus);
        var partSizeMb = ReadInt(Read(PartSizeVariable), PartSizeVariable, 1, MaxPartSizeMb, errors)
            ?? (int.TryParse(Read(MemoryVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var memoryMb) && memoryMb < AutomaticPartsFromMemoryMb
                ? SmallMemoryPartSizeMb
                : DefaultPartSizeMb);
        var workers = ReadInt(Read(WorkersVariable), WorkersVariable, 1, MaxWorkers, errors) ?? vCpus;

        LogLevel? logLevel = null;
        if (Read(LogLevelVariable) is { } levelText)
        {
            if (LogLevelParser.TryParse(levelText, out var level))
            {
                logLevel = level;
            }
            else
            {
                errors.Add($"{LogLevelVariable}='{levelText}' is not a log level; expected {LogLevelParser.Expected}");
            }
        }

        if (errors.Count > 0)
        {
            throw new CacheOptionsException(errors);
        }

        var limits = new CacheLimits(maxBytes, maxEntries, concurrency, partSizeMb * 1024 * 1024, workers);
        var refresh = new RefreshOptions(TimeSpan.FromMilliseconds(refreshWaitMs));
        return new CacheOptions(bundles, root, mode, onError, limits, vCpus, logLevel, refresh, initialization, metrics);
    }

    /// <summary>
    /// Visible cores for a memory size: Lambda's CPU share grows with memory, and a partial vCPU still shows up
    /// as a core, so round up. Unset or unreadable (outside Lambda) counts as 1,769 MB.
    /// </summary>
    public static int VCpusFor(string? memoryMb)
    {
        var memory = int.TryParse(memoryMb, NumberStyles.None, CultureInfo.InvariantCulture, out var mb) && mb > 0 ? mb : DefaultMemoryMb;
        return Math.Clamp((memory + MegabytesPerVCpu - 1) / MegabytesPerVCpu, 1, MaxVCpus);
    }

    /// <summary>
    /// Enough parts in flight that the per-connection bandwidth (~75-90 MB/s in Lambda) is not the limit for what
    /// the vCPUs can unpack (~100-250 MB/s of archive per vCPU), and no more: every part in flight is held in memory.
    /// </summary>
    public static int DefaultConcurrency(int vCpus) => Math.Clamp(vCpus * RequestsPerVCpu, MinDefaultConcurrency, MaxDefaultConcurrency);

    private static bool IsPinned(BundleSpec bundle) => bundle.Sha256 is not null || bundle.Location is S3Location { VersionId: not null };

    /// <summary>True when at least one bundle is checked for new versions while the environment lives.</summary>
    public bool AnyRefresh => Bundles.Any(b => b.Refreshes);

    /// <summary>Lambda Managed Instances: INVOKE cannot be registered and the sandbox is never frozen.</summary>
    public bool ManagedInstances => Initialization == InitializationType.ManagedInstances;

    public static string ModeName(CacheMode mode) => mode == CacheMode.Overlap ? "overlap" : "before-register";

    public static string OnErrorName(ErrorPolicy policy) => policy == ErrorPolicy.Continue ? "continue" : "fail";

    private static long? ReadByteSize(string? value, List<string> errors)
    {
        if (value is null)
        {
            return null;
        }

        var text = value.Replace(" ", string.Empty, StringComparison.Ordinal).ToUpperInvariant();
        var unit = text.TrimStart("0123456789".ToCharArray());
        var digits = text[..^unit.Length];
        var shift = unit switch
        {
            "" or "B" => 0,
            "K" or "KB" or "KIB" => 10,
            "M" or "MB" or "MIB" => 20,
            "G" or "GB" or "GIB" => 30,
            "T" or "TB" or "TIB" => 40,
            _ => -1,
        };
        if (shift < 0 || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number <= 0
            || number > (long.MaxValue >> shift))
        {
            errors.Add($"{MaxBytesVariable}='{value}' is not a size; expected a positive number of bytes, optionally with K, M, G or T (powers of 1024), for example 2G");
            return null;
        }

        return number << shift;
    }

    private static int? ReadInt(string? value, string variable, int min, int max, List<string> errors)
    {
        if (value is null)
        {
            return null;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < min || number > max)
        {
            errors.Add($"{variable}='{value}' is not valid; expected a whole number from {min} to {max.ToString("N0", CultureInfo.InvariantCulture)}");
            return null;
        }

        return number;
    }

    private static T Invalid<T>(List<string> errors, string variable, string? value, string expected, T fallback)
    {
        errors.Add($"{variable}='{value}' is not valid; {expected}");
        return fallback;
    }
}
