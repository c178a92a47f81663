using ExtensionCache.Benchmarks.Cli;

return await new BenchmarkCommand().InvokeAsync(args).ConfigureAwait(false);
