using ExtensionCache.Extension.Configuration;

namespace ExtensionCache.Extension.Sources;

/// <summary>Creates the source for a bundle's URI scheme.</summary>
public interface IBundleSourceFactory
{
    IBundleSource Create(BundleSpec bundle);
}
