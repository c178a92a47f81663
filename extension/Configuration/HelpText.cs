namespace ExtensionCache.Extension.Configuration;

/// <summary>The <c>--help</c> text: what the extension does, every variable with its default, layout, exit codes.</summary>
public static class HelpText
{
    public static string For(string version) => $"""
        extension-cache {version}
        An AWS Lambda external extension. During INIT it fetches each configured bundle (zip, tar.gz or tar.zst)
        from S3, HTTP(S) or a local file, unpacks it under the cache root, verifies it, publishes it atomically
        at <root>/<name>, writes <root>/.status/<name>.json, and then waits for SHUTDOWN.
        Lambda starts it from /opt/extensions/extension-cache (layer zip: extensions/extension-cache); its file
        name is its extension name. It registers for SHUTDOWN only, unless a bundle refreshes: then, on demand,
        also for INVOKE (a due check never delays the function's response); on Managed Instances a timer.

        Usage: extension-cache            run as a Lambda extension (needs AWS_LAMBDA_RUNTIME_API)
               extension-cache --help     this text
               extension-cache --version  the version

        Environment:
          {CacheOptions.BundlesVariable,-30} required. name=uri[;name=uri...]
              uri: s3://bucket/key[?versionId=ID] | https://host/path (e.g. presigned) | file:///absolute/path
                   | http://host/path (unencrypted: meant for loopback, test servers, private endpoints)
              optional fragment: #sha256=<64 hex>, #format=zip|tar.gz|tar.zst, #refresh=<seconds>, joined with '&'
              format otherwise from the extension: .zip, .tar.gz/.tgz, .tar.zst/.tzst
              name: letters, digits, '.', '_', '-'; not starting with '.'; at most {BundleListParser.MaxNameLength} characters; unique
          {CacheOptions.RootVariable,-30} absolute path. default $TMPDIR/{CacheOptions.DefaultRootFolder} when TMPDIR is an absolute path,
                                         else {CacheOptions.DefaultTempDirectory}/{CacheOptions.DefaultRootFolder}
          {CacheOptions.ModeVariable,-30} before-register (default): publish, then register, so the function's
                                         init already sees the files; overlap: register first, runtime init runs
                                         alongside, bundles are still ready before the first INVOKE
          {CacheOptions.OnErrorVariable,-30} fail (default): report init/error (Extension.*), INIT fails and is retried;
                                         continue: log, publish nothing for that bundle, status file says failed
          {CacheOptions.MaxBytesVariable,-30} max unpacked bytes per bundle, suffix K/M/G/T (x1024). default 10G,
                                         and never more than the free space under the root
          {CacheOptions.MaxEntriesVariable,-30} max files + directories + links per bundle. default {CacheOptions.DefaultMaxEntries}
          {CacheOptions.ConcurrencyVariable,-30} ranged requests in flight, 1-{CacheOptions.MaxConcurrency}. default from
                                         {CacheOptions.MemoryVariable}: vCPU = ceil(MB/{CacheOptions.MegabytesPerVCpu}) in 1..{CacheOptions.MaxVCpus},
                                         concurrency = vCPU*{CacheOptions.RequestsPerVCpu} in {CacheOptions.MinDefaultConcurrency}..{CacheOptions.MaxDefaultConcurrency}
          {CacheOptions.PartSizeVariable,-30} size of one ranged request in MiB, 1-{CacheOptions.MaxPartSizeMb}. default automatic: 4, growing up to 16 once the object fills 4 parts per request in flight (the first wave stays 4); 4 below {CacheOptions.AutomaticPartsFromMemoryMb} MB of memory
          {CacheOptions.WorkersVariable,-30} threads writing small files while the archive is read, 1-{CacheOptions.MaxWorkers}.
                                         default: the vCPU count above
          {CacheOptions.LogLevelVariable,-30} TRACE|DEBUG|INFO|WARN|ERROR|FATAL; overrides AWS_LAMBDA_LOG_LEVEL (default INFO)
          {CacheOptions.RefreshVariable,-30} check each bundle for a new version every N seconds while the environment
                                         lives, 0-{CacheOptions.MaxRefreshSeconds}. default 0 (off); #refresh= overrides it per bundle;
                                         a bundle with #sha256= or ?versionId= never refreshes (a pin is a version)
          {CacheOptions.RefreshWaitVariable,-30} ms the extension may keep working on a due check after an INVOKE before
                                         it calls next, 0-{CacheOptions.MaxRefreshWaitMs}. default {CacheOptions.DefaultRefreshWaitMs}; the rest runs in the background
          {CacheOptions.MetricsVariable,-30} on (default): one CloudWatch Embedded Metric Format line per bundle per INIT
                                         and per refresh check (namespace ExtensionCache, dimension Bundle); off
          AWS_LAMBDA_LOG_FORMAT          JSON for one JSON object per line; otherwise text lines
          AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS_REGION and the function role's credentials are used for s3://:
              AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN when set, else the container credentials
              endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE], as SnapStart
              gives them), renewed before they expire
          AWS_LAMBDA_INITIALIZATION_TYPE set by Lambda. snap-start: a bundle must fit SnapStart's 512 MB of /tmp (checked
                                         before it downloads); the first invoke after the restore drops old
                                         connections and checks every refreshing bundle whatever its period

        Published layout:
          <root>/<name>                                  link to the complete, verified bundle (never partial)
          <root>/<name>/.extension-cache-manifest.json   source, version, sha256, files, bytes, timings
          <root>/.status/<name>.json                     status "ready" or "failed" once per INIT, "stale" after a
                                                         failed refresh; version, publishedAt, checkedAt

        Exit codes:
          0  SHUTDOWN received, SIGTERM, --help or --version
          1  INIT failed and was reported through init/error (invalid configuration, or a bundle failed with fail)
          2  not started by Lambda (AWS_LAMBDA_RUNTIME_API unset) or unknown argument
          3  the Extensions API refused a call or could not be reached
        """;
}
