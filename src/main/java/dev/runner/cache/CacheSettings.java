package dev.runner.cache;

import dev.runner.config.RunnerConfig;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A node's content cache: its directory, the most bytes it keeps there (least recently used files go
 * first), how long an item lives after it was last stored, and the host and port (0: any free one)
 * its peers fetch bytes from.
 */
public record CacheSettings(Path dir, long maxBytes, Duration ttl, String host, int port) {
  public CacheSettings {
    if (maxBytes < 1) throw new IllegalArgumentException("maxBytes must be at least 1, got " + maxBytes);
    if (ttl.toSeconds() < 1) throw new IllegalArgumentException("ttl must be at least 1 s, got " + ttl);
  }

  /**
   * {@code runner.cache_dir}, {@code runner.max_cache_size_gb} (GiB, fractions allowed), {@code
   * cache.ttl_s}, the cluster host, {@code cache.port}. The node's files are in a dir of its sandbox
   * label's under the cache dir: nodes sharing a host (and the file's cache_dir) never evict or
   * delete as strays each other's files, and a node restarted with its label finds its own.
   */
  public static CacheSettings of(RunnerConfig config) {
    RunnerConfig.RunnerSettings g = config.runner();
    long maxBytes = Math.max(1, (long) (g.maxCacheSizeGb() * (1L << 30)));
    return new CacheSettings(g.cacheDir().resolve(config.sandboxLabel()), maxBytes, g.cacheTtl(), config.clusterHost(),
        g.cachePort());
  }

  public CacheSettings withMaxBytes(long bytes) {
    return new CacheSettings(dir, bytes, ttl, host, port);
  }
}
