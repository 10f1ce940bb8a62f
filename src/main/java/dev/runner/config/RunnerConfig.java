package dev.runner.config;

import dev.runner.lang.Language;
import dev.runner.lang.Languages;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything a node is told, read once at start from the environment `./runner` exports (see the
 * README's configuration table). Tests build it directly.
 */
public record RunnerConfig(
    String httpHost, int httpPort, int maxPendingJobs,
    String podmanSocket, Path stateDir, Map<String, String> images,
    PoolSettings pool,
    String clusterName, String clusterHost, int clusterPort, String clusterMembers,
    String sandboxLabel, Path seccompProfile, HttpSettings http, Map<String, Language> languages,
    TrustSettings trust) {

  /** Warm containers per language, when one is retired, and how long a job may wait for one. */
  public record PoolSettings(int size, int maxJobs, Duration maxAge, Duration acquireTimeout) {}

  /**
   * What a client may hold of the node: how long it may take to send request headers (also between
   * requests on a kept-alive connection) and a body (in all, and with no byte arriving), how many
   * connections may be open, how many body bytes the node holds at once (read and not yet answered
   * by a worker), and the longest a job may take (tests × timeout).
   */
  public record HttpSettings(Duration headerTimeout, Duration bodyTimeout, Duration bodyIdleTimeout,
                             int maxConnections, long bodyBudgetBytes, int maxJobSeconds) {}

  public static RunnerConfig fromEnvironment(Map<String, String> env) {
    Map<String, String> images = new LinkedHashMap<>();
    String pairs = env.getOrDefault("RUNNER_IMAGES", "");
    for (String pair : pairs.split(",")) {
      int eq = pair.indexOf('=');
      if (eq > 0) images.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
    }
    if (images.isEmpty()) throw new IllegalArgumentException("RUNNER_IMAGES is empty: start the node with ./runner serve");
    Path containers = Path.of(env.getOrDefault("RUNNER_CONTAINERS", "containers"));
    Map<String, Language> known = Languages.load(containers);
    Map<String, Language> languages = new LinkedHashMap<>();
    for (String id : images.keySet()) {
      Language lang = known.get(id);
      if (lang == null) throw new IllegalArgumentException("RUNNER_IMAGES names '" + id + "', which no languages.json under " + containers + " defines");
      languages.put(id, lang);
    }
    return new RunnerConfig(
        env.getOrDefault("RUNNER_HOST", "0.0.0.0"), intOf(env, "RUNNER_PORT", 6161), intOf(env, "RUNNER_MAX_PENDING", 64),
        env.getOrDefault("RUNNER_PODMAN_SOCKET", "/run/runner/podman.sock"),
        Path.of(env.getOrDefault("RUNNER_STATE", "/var/lib/runner")), Map.copyOf(images),
        new PoolSettings(intOf(env, "RUNNER_POOL_SIZE", 2), intOf(env, "RUNNER_SANDBOX_MAX_JOBS", 500),
            Duration.ofSeconds(intOf(env, "RUNNER_SANDBOX_MAX_AGE_S", 1800)),
            Duration.ofSeconds(intOf(env, "RUNNER_ACQUIRE_TIMEOUT_S", 30))),
        env.getOrDefault("RUNNER_CLUSTER_NAME", "runner"),
        env.getOrDefault("RUNNER_CLUSTER_HOST", "127.0.0.1"), intOf(env, "RUNNER_CLUSTER_PORT", 5701),
        env.getOrDefault("RUNNER_CLUSTER_MEMBERS", "127.0.0.1"),
        // Each node's own by default (its HTTP port is unique on the host): a node's start removes the
        // leftovers of its own label only, never another live node's sandboxes.
        env.getOrDefault("RUNNER_SANDBOX_LABEL", "node-" + intOf(env, "RUNNER_PORT", 6161)),
        Path.of(env.getOrDefault("RUNNER_SECCOMP_PROFILE", "conf/seccomp.json")).toAbsolutePath(),
        new HttpSettings(Duration.ofSeconds(positive(env, "RUNNER_HEADER_TIMEOUT_S", 10)),
            Duration.ofSeconds(positive(env, "RUNNER_BODY_TIMEOUT_S", 30)),
            Duration.ofSeconds(positive(env, "RUNNER_BODY_IDLE_TIMEOUT_S", 10)),
            positive(env, "RUNNER_MAX_CONNECTIONS", 1024),
            (long) positive(env, "RUNNER_BODY_BUDGET_MB", 512) << 20,
            positive(env, "RUNNER_MAX_JOB_SECONDS", 1200)),
        Map.copyOf(languages),
        TrustSettings.fromEnvironment(env)); // mutual TLS (API, event bus) and API tokens: off unless set
  }

  private static int positive(Map<String, String> env, String key, int fallback) {
    int v = intOf(env, key, fallback);
    if (v < 1) throw new IllegalArgumentException(key + " must be at least 1, got " + v);
    return v;
  }

  private static int intOf(Map<String, String> env, String key, int fallback) {
    String v = env.get(key);
    if (v == null || v.isBlank()) return fallback;
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be an integer, got '" + v + "'");
    }
  }
}
