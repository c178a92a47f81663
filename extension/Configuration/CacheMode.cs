namespace ExtensionCache.Extension.Configuration;

/// <summary>When the bundles are prepared relative to <c>register</c> (<c>EXTENSION_CACHE_MODE</c>).</summary>
public enum CacheMode
{
    /// <summary>Prepare, then register: the runtime starts only after the bundles are published.</summary>
    BeforeRegister,

    /// <summary>Register, then prepare: runtime init overlaps; INIT still ends only after the bundles are ready.</summary>
    Overlap,
}
