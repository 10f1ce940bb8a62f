package dev.runner.config;

import dev.runner.lang.Language;
import dev.runner.lang.Languages;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything a node is told, read once at start from conf/runner.json (or the file RUNNER_CONFIG
 * names) and the environment, the environment winning (see the README's configuration section and
 * {@link ConfigFile}). {@link #from} is the mapping, a pure function of the file's JSON and the
 * environment; tests call it through {@link #fromEnvironment} (no file).
 */
public record RunnerConfig(
    String httpHost, int httpPort, int maxPendingJobs,
    String podmanSocket, Path stateDir, Map<String, String> images,
    PoolSettings pool,
    String clusterName, String clusterHost, int clusterPort, String clusterMembers,
    int clusterBusPort, String clusterKubernetesDns,
    String sandboxLabel, Path seccompProfile, HttpSettings http, Map<String, Language> languages,
    TrustSettings trust, RunnerSettings runner, Map<String, Language> allLanguages, ClusterSettings cluster) {

  /**
   * How the node behaves in its cluster: how long SIGTERM lets its jobs finish before it leaves,
   * how long a job's record (and events) stay readable after its last change, how soon Hazelcast
   * declares a silent member dead (then its jobs run elsewhere), the fewest tests a chunk of a large
   * job has, and whether the node runs no sandboxes at all (an API-only node).
   */
  public record ClusterSettings(Duration drainTimeout, Duration jobTtl, Duration failureTimeout, int chunkTests,
                                boolean apiOnly) {}

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

  /**
   * The seed's {@code runner{grader_url, sandbox_path, cache_dir, max_cache_size_gb,
   * max_concurrent_jobs}} and {@code languages{id{compiler, flags}}}, with our {@code cache{ttl_s,
   * port}}: the grader to poll (or null), the content cache's dir, budget, TTL and peer port (0: any
   * free one), and the jobs run at once. {@code sandboxPath} (may be null) and {@code compilers} are
   * read and checked only: the sandboxes are Podman's, and the images' languages.json say how code is built.
   */
  public record RunnerSettings(String graderUrl, String sandboxPath, Path cacheDir, double maxCacheSizeGb,
                               int maxConcurrentJobs, Map<String, CompilerSettings> compilers,
                               Duration cacheTtl, int cachePort) {}

  /** One entry of the file's {@code languages}: a compiler path and its flags (recorded only). */
  public record CompilerSettings(String compiler, List<String> flags) {}

  /** The environment variables the node reads (RUNNER_CONFIG, which names the file, aside). */
  public static final Set<String> ENV_VARIABLES = Set.of(
      "RUNNER_IMAGES", "RUNNER_PODMAN_SOCKET", "RUNNER_STATE", "RUNNER_SECCOMP_PROFILE", "RUNNER_CONTAINERS",
      "RUNNER_HOST", "RUNNER_PORT", "RUNNER_MAX_PENDING", "RUNNER_MAX_JOB_SECONDS", "RUNNER_HEADER_TIMEOUT_S",
      "RUNNER_BODY_TIMEOUT_S", "RUNNER_BODY_IDLE_TIMEOUT_S", "RUNNER_MAX_CONNECTIONS", "RUNNER_BODY_BUDGET_MB",
      "RUNNER_POOL_SIZE", "RUNNER_SANDBOX_MAX_JOBS", "RUNNER_SANDBOX_MAX_AGE_S", "RUNNER_ACQUIRE_TIMEOUT_S",
      "RUNNER_CLUSTER_NAME", "RUNNER_CLUSTER_HOST", "RUNNER_CLUSTER_PORT", "RUNNER_CLUSTER_MEMBERS",
      "RUNNER_CLUSTER_BUS_PORT", "RUNNER_CLUSTER_KUBERNETES_DNS",
      "RUNNER_SANDBOX_LABEL", "RUNNER_TLS_CERT_FILE", "RUNNER_TLS_KEY_FILE", "RUNNER_TLS_CA_FILE",
      "RUNNER_API_TOKENS", "RUNNER_API_TOKENS_FILE",
      "RUNNER_CLUSTER_TLS_CERT_FILE", "RUNNER_CLUSTER_TLS_KEY_FILE", "RUNNER_CLUSTER_TLS_CA_FILE",
      "RUNNER_GRADER_URL", "RUNNER_CACHE_DIR", "RUNNER_MAX_CACHE_SIZE_GB", "RUNNER_MAX_JOBS", "RUNNER_CACHE_TTL_S", "RUNNER_CACHE_PORT",
      "RUNNER_DRAIN_TIMEOUT_S", "RUNNER_JOB_TTL_S", "RUNNER_CLUSTER_FAILURE_TIMEOUT_S", "RUNNER_CHUNK_TESTS", "RUNNER_API_ONLY");

  /** The keys the file may hold: a group's keys ("group.key"; a nested group is itself a key). */
  private static final Map<String, Set<String>> SCHEMA = Map.ofEntries(
      Map.entry("", Set.of("runner", "languages", "images", "http", "limits", "pool", "cluster", "sandbox", "tls", "tokens", "cache")),
      Map.entry("cache", Set.of("ttl_s", "port")),
      Map.entry("runner", Set.of("port", "grader_url", "sandbox_path", "cache_dir", "max_cache_size_gb", "max_concurrent_jobs")),
      Map.entry("http", Set.of("host", "header_timeout_s", "body_timeout_s", "body_idle_timeout_s", "max_connections", "body_budget_mb")),
      Map.entry("limits", Set.of("max_pending", "max_job_seconds")),
      Map.entry("pool", Set.of("size", "sandbox_max_jobs", "sandbox_max_age_s", "acquire_timeout_s")),
      Map.entry("cluster", Set.of("name", "host", "port", "members", "bus_port", "kubernetes_service_dns", "tls",
          "drain_timeout_s", "job_ttl_s", "failure_timeout_s", "chunk_tests", "api_only")),
      Map.entry("cluster.tls", Set.of("cert_file", "key_file", "ca_file")),
      Map.entry("sandbox", Set.of("podman_socket", "state_dir", "seccomp_profile", "containers", "label")),
      Map.entry("tls", Set.of("cert_file", "key_file", "ca_file")),
      Map.entry("tokens", Set.of("values", "file")));

  /** The environment alone, as the tests build it (no file). */
  public static RunnerConfig fromEnvironment(Map<String, String> env) {
    return from(new JsonObject(), env);
  }

  /**
   * The configuration a file's JSON (its top level, {} for none) and the environment give, each
   * variable set (not blank) winning over its key. Throws IllegalArgumentException naming the key
   * or variable of the first wrong value.
   */
  public static RunnerConfig from(JsonObject file, Map<String, String> env) {
    Source s = new Source(file, env);
    s.checkShape(file, "");

    Map<String, String> images = new LinkedHashMap<>();
    JsonObject fileImages = s.group("images");
    if (fileImages != null) {
      for (String id : fileImages.fieldNames()) {
        if (!(fileImages.getValue(id) instanceof String img) || img.isBlank()) {
          throw new IllegalArgumentException("images." + id + ": must be a non-empty string (an image), got " + Json.encode(fileImages.getValue(id)));
        }
        images.put(id, img.trim());
      }
    }
    String pairs = env.get("RUNNER_IMAGES");
    if (pairs != null && !pairs.isBlank()) {
      images.clear();
      for (String pair : pairs.split(",")) {
        int eq = pair.indexOf('=');
        if (eq > 0) images.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
      }
    }
    // An API-only node takes requests and dispatches them; the cluster's other nodes run them.
    boolean apiOnly = s.bool("RUNNER_API_ONLY", "cluster.api_only", false);
    if (apiOnly) images.clear();
    else if (images.isEmpty()) throw new IllegalArgumentException("RUNNER_IMAGES is empty (and the file has no images): start the node with ./runner serve");
    String imagesFrom = pairs != null && !pairs.isBlank() ? "RUNNER_IMAGES" : "images";
    Path containers = Path.of(s.string("RUNNER_CONTAINERS", "sandbox.containers", "containers"));
    Map<String, Language> known = Languages.load(containers);
    Map<String, Language> languages = new LinkedHashMap<>();
    for (String id : images.keySet()) {
      Language lang = known.get(id);
      if (lang == null) throw new IllegalArgumentException(imagesFrom + " names '" + id + "', which no languages.json under " + containers + " defines");
      languages.put(id, lang);
    }

    int port = s.integer("RUNNER_PORT", "runner.port", 6161, 1, 65535);
    RunnerConfig config = new RunnerConfig(
        s.string("RUNNER_HOST", "http.host", "0.0.0.0"), port,
        s.integer("RUNNER_MAX_PENDING", "limits.max_pending", 64, 1, Integer.MAX_VALUE),
        s.string("RUNNER_PODMAN_SOCKET", "sandbox.podman_socket", "/run/runner/podman.sock"),
        Path.of(s.string("RUNNER_STATE", "sandbox.state_dir", "/var/lib/runner")), Map.copyOf(images),
        new PoolSettings(s.integer("RUNNER_POOL_SIZE", "pool.size", 2, 1, 1000),
            s.integer("RUNNER_SANDBOX_MAX_JOBS", "pool.sandbox_max_jobs", 500, 1, Integer.MAX_VALUE),
            Duration.ofSeconds(s.integer("RUNNER_SANDBOX_MAX_AGE_S", "pool.sandbox_max_age_s", 1800, 1, Integer.MAX_VALUE)),
            Duration.ofSeconds(s.integer("RUNNER_ACQUIRE_TIMEOUT_S", "pool.acquire_timeout_s", 30, 1, Integer.MAX_VALUE))),
        s.string("RUNNER_CLUSTER_NAME", "cluster.name", "runner"),
        s.string("RUNNER_CLUSTER_HOST", "cluster.host", "127.0.0.1"),
        s.integer("RUNNER_CLUSTER_PORT", "cluster.port", 5701, 1, 65535),
        s.members(),
        // 0: any free port (one host, several nodes); a pod fixes it so its Services can declare it
        s.integer("RUNNER_CLUSTER_BUS_PORT", "cluster.bus_port", 0, 0, 65535),
        // set: Hazelcast finds its members by this DNS name (a headless Service), not by cluster.members
        s.dnsName("RUNNER_CLUSTER_KUBERNETES_DNS", "cluster.kubernetes_service_dns"),
        // Each node's own by default (its HTTP port is unique on the host): a node's start removes the
        // leftovers of its own label only, never another live node's sandboxes.
        s.string("RUNNER_SANDBOX_LABEL", "sandbox.label", "node-" + port),
        Path.of(s.string("RUNNER_SECCOMP_PROFILE", "sandbox.seccomp_profile", "conf/seccomp.json")).toAbsolutePath(),
        new HttpSettings(Duration.ofSeconds(s.integer("RUNNER_HEADER_TIMEOUT_S", "http.header_timeout_s", 10, 1, Integer.MAX_VALUE)),
            Duration.ofSeconds(s.integer("RUNNER_BODY_TIMEOUT_S", "http.body_timeout_s", 30, 1, Integer.MAX_VALUE)),
            Duration.ofSeconds(s.integer("RUNNER_BODY_IDLE_TIMEOUT_S", "http.body_idle_timeout_s", 10, 1, Integer.MAX_VALUE)),
            s.integer("RUNNER_MAX_CONNECTIONS", "http.max_connections", 1024, 1, Integer.MAX_VALUE),
            (long) s.integer("RUNNER_BODY_BUDGET_MB", "http.body_budget_mb", 512, 1, 1 << 20) << 20,
            s.integer("RUNNER_MAX_JOB_SECONDS", "limits.max_job_seconds", 1200, 1, Integer.MAX_VALUE)),
        Map.copyOf(languages),
        s.trust(), // mutual TLS (API, event bus) and API tokens: off unless set
        new RunnerSettings(s.url("RUNNER_GRADER_URL", "runner.grader_url"),
            s.string(null, "runner.sandbox_path", null),
            Path.of(s.string("RUNNER_CACHE_DIR", "runner.cache_dir", "/var/lib/runner/cache")),
            s.positiveNumber("RUNNER_MAX_CACHE_SIZE_GB", "runner.max_cache_size_gb", 10),
            s.integer("RUNNER_MAX_JOBS", "runner.max_concurrent_jobs", 4, 1, Integer.MAX_VALUE),
            s.compilers(known.keySet(), containers),
            Duration.ofSeconds(s.integer("RUNNER_CACHE_TTL_S", "cache.ttl_s", 24 * 3600, 1, Integer.MAX_VALUE)),
            s.integer("RUNNER_CACHE_PORT", "cache.port", 0, 0, 65535)),
        Map.copyOf(known),
        new ClusterSettings(Duration.ofSeconds(s.integer("RUNNER_DRAIN_TIMEOUT_S", "cluster.drain_timeout_s", 30, 0, Integer.MAX_VALUE)),
            Duration.ofSeconds(s.integer("RUNNER_JOB_TTL_S", "cluster.job_ttl_s", 3600, 1, Integer.MAX_VALUE)),
            Duration.ofSeconds(s.integer("RUNNER_CLUSTER_FAILURE_TIMEOUT_S", "cluster.failure_timeout_s", 5, 2, 600)),
            s.integer("RUNNER_CHUNK_TESTS", "cluster.chunk_tests", 16, 1, Integer.MAX_VALUE),
            apiOnly));
    return config;
  }

  /** The file and the environment, and how a value of each is checked and named in a message. */
  private static final class Source {
    private final JsonObject file;
    private final Map<String, String> env;

    Source(JsonObject file, Map<String, String> env) {
      this.file = file;
      this.env = env;
    }

    /** Unknown keys (at the top, in a group) and groups that are not objects stop the start. */
    void checkShape(JsonObject obj, String group) {
      Set<String> allowed = SCHEMA.get(group);
      for (String key : obj.fieldNames()) {
        String name = group.isEmpty() ? key : group + "." + key;
        if (!allowed.contains(key)) {
          throw new IllegalArgumentException(name + ": unknown key" + (group.isEmpty() ? " at the top level" : " in " + group)
              + " (known: " + String.join(", ", new java.util.TreeSet<>(allowed)) + ")");
        }
        Object v = obj.getValue(key);
        if (SCHEMA.containsKey(name) || name.equals("languages") || name.equals("images")) {
          if (!(v instanceof JsonObject o)) throw new IllegalArgumentException(name + ": must be an object, got " + Json.encode(v));
          if (SCHEMA.containsKey(name)) checkShape(o, name);
        }
      }
    }

    JsonObject group(String path) {
      Object v = value(path);
      return v instanceof JsonObject o ? o : null;
    }

    /** The file's value at "a.b.c", or null. */
    Object value(String path) {
      Object cur = file;
      for (String part : path.split("\\.")) {
        if (!(cur instanceof JsonObject o)) return null;
        cur = o.getValue(part);
      }
      return cur;
    }

    String envValue(String var) {
      if (var == null) return null;
      String v = env.get(var);
      return v == null || v.isBlank() ? null : v.trim();
    }

    String string(String var, String key, String fallback) {
      Object v = value(key);
      String fromFile = null;
      if (v != null) {
        if (!(v instanceof String str) || str.isBlank()) throw new IllegalArgumentException(key + ": must be a non-empty string, got " + Json.encode(v));
        fromFile = str.trim();
      }
      String e = envValue(var);
      return e != null ? e : fromFile != null ? fromFile : fallback;
    }

    boolean bool(String var, String key, boolean fallback) {
      Object v = value(key);
      if (v != null && !(v instanceof Boolean)) throw new IllegalArgumentException(key + ": must be true or false, got " + Json.encode(v));
      String e = envValue(var);
      if (e != null) {
        if (!e.equals("true") && !e.equals("false")) throw new IllegalArgumentException(var + ": must be true or false, got \"" + e + "\"");
        return e.equals("true");
      }
      return v != null ? (Boolean) v : fallback;
    }

    int integer(String var, String key, int fallback, int min, int max) {
      String range = max == Integer.MAX_VALUE ? "an integer of at least " + min : "an integer from " + min + " to " + max;
      Object v = value(key);
      Integer fromFile = null;
      if (v != null) {
        if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < min || ((Number) v).longValue() > max) {
          throw new IllegalArgumentException(key + ": must be " + range + ", got " + Json.encode(v));
        }
        fromFile = ((Number) v).intValue();
      }
      String e = envValue(var);
      if (e != null) {
        long parsed;
        try {
          parsed = Long.parseLong(e);
        } catch (NumberFormatException x) {
          throw new IllegalArgumentException(var + ": must be " + range + ", got \"" + e + "\"");
        }
        if (parsed < min || parsed > max) throw new IllegalArgumentException(var + ": must be " + range + ", got " + parsed);
        return (int) parsed;
      }
      return fromFile != null ? fromFile : fallback;
    }

    double positiveNumber(String var, String key, double fallback) {
      String e = envValue(var);
      if (e != null) {
        double parsed;
        try {
          parsed = Double.parseDouble(e);
        } catch (NumberFormatException x) {
          parsed = Double.NaN;
        }
        if (!(parsed > 0) || Double.isInfinite(parsed)) throw new IllegalArgumentException(var + ": must be a number above 0, got \"" + e + "\"");
        return parsed;
      }
      Object v = value(key);
      if (v == null) return fallback;
      if (!(v instanceof Number n) || !(n.doubleValue() > 0) || Double.isInfinite(n.doubleValue())) {
        throw new IllegalArgumentException(key + ": must be a number above 0, got " + Json.encode(v));
      }
      return n.doubleValue();
    }

    /** An http(s) URL with a host, or null when neither sets one. */
    String url(String var, String key) {
      String u = string(var, key, null);
      if (u == null) return null;
      String name = envValue(var) != null ? var : key;
      try {
        URI uri = new URI(u);
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) throw new URISyntaxException(u, "not http(s)://host");
      } catch (URISyntaxException x) {
        throw new IllegalArgumentException(name + ": must be an http:// or https:// URL with a host, got \"" + u + "\"");
      }
      return u;
    }

    /** A DNS name (labels of letters, digits and inner hyphens, dot-separated), or null when neither sets one. */
    String dnsName(String var, String key) {
      String name = string(var, key, null);
      if (name == null) return null;
      if (name.length() > 253 || !name.matches("([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.?")) {
        throw new IllegalArgumentException((envValue(var) != null ? var : key)
            + ": must be a DNS name such as runner-hz.runner.svc.cluster.local, got \"" + name + "\"");
      }
      return name;
    }

    /** RUNNER_CLUSTER_MEMBERS, or cluster.members: a string ("a,b") or an array of strings. */
    String members() {
      Object v = value("cluster.members");
      if (v instanceof JsonArray a) {
        List<String> hosts = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
          if (!(a.getValue(i) instanceof String h) || h.isBlank()) {
            throw new IllegalArgumentException("cluster.members[" + i + "]: must be a non-empty string, got " + Json.encode(a.getValue(i)));
          }
          hosts.add(h.trim());
        }
        if (hosts.isEmpty()) throw new IllegalArgumentException("cluster.members: must name at least one host");
        String e = envValue("RUNNER_CLUSTER_MEMBERS");
        return e != null ? e : String.join(",", hosts);
      }
      return string("RUNNER_CLUSTER_MEMBERS", "cluster.members", "127.0.0.1");
    }

    /** The trust settings: each RUNNER_TLS_*, RUNNER_API_TOKENS* and RUNNER_CLUSTER_TLS_* variable, or its key. */
    TrustSettings trust() {
      Map<String, String> values = new LinkedHashMap<>();
      Map<String, String> names = new LinkedHashMap<>();
      String[][] pairs = {
          {"RUNNER_TLS_CERT_FILE", "tls.cert_file"}, {"RUNNER_TLS_KEY_FILE", "tls.key_file"}, {"RUNNER_TLS_CA_FILE", "tls.ca_file"},
          {"RUNNER_CLUSTER_TLS_CERT_FILE", "cluster.tls.cert_file"}, {"RUNNER_CLUSTER_TLS_KEY_FILE", "cluster.tls.key_file"},
          {"RUNNER_CLUSTER_TLS_CA_FILE", "cluster.tls.ca_file"}, {"RUNNER_API_TOKENS_FILE", "tokens.file"}};
      for (String[] p : pairs) {
        String fromFile = string(null, p[1], null);
        String e = envValue(p[0]);
        if (e != null) values.put(p[0], env.get(p[0]));
        else if (fromFile != null) {
          values.put(p[0], fromFile);
          names.put(p[0], p[1]);
        }
      }
      // A triple given in part in the file: its missing members are named by their keys too.
      for (int t = 0; t < 6; t += 3) {
        boolean inFile = false;
        for (int i = t; i < t + 3; i++) inFile |= names.containsKey(pairs[i][0]);
        for (int i = t; i < t + 3 && inFile; i++) if (!values.containsKey(pairs[i][0])) names.put(pairs[i][0], pairs[i][1]);
      }
      Object tokens = value("tokens.values");
      if (tokens != null) {
        if (!(tokens instanceof JsonArray a)) throw new IllegalArgumentException("tokens.values: must be an array of strings, got " + Json.encode(tokens));
        List<String> list = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
          if (!(a.getValue(i) instanceof String t) || t.isBlank() || t.contains(",")) {
            throw new IllegalArgumentException("tokens.values[" + i + "]: must be a non-empty string without commas, got a " + kind(a.getValue(i)));
          }
          list.add(t.trim());
        }
        if (list.isEmpty()) throw new IllegalArgumentException("tokens.values: is set but holds no token");
        if (envValue("RUNNER_API_TOKENS") == null) {
          values.put("RUNNER_API_TOKENS", String.join(",", list));
          names.put("RUNNER_API_TOKENS", "tokens.values");
        }
      }
      if (envValue("RUNNER_API_TOKENS") != null) values.put("RUNNER_API_TOKENS", env.get("RUNNER_API_TOKENS"));
      return TrustSettings.from(values, v -> names.getOrDefault(v, v));
    }

    /** The file's languages{id{compiler, flags}}: ids of a languages.json, a compiler path, flags strings. */
    Map<String, CompilerSettings> compilers(Set<String> known, Path containers) {
      JsonObject langs = group("languages");
      if (langs == null) return Map.of();
      Map<String, CompilerSettings> out = new LinkedHashMap<>();
      for (String id : langs.fieldNames()) {
        String name = "languages." + id;
        if (!known.contains(id)) throw new IllegalArgumentException(name + ": no languages.json under " + containers + " defines '" + id + "'");
        if (!(langs.getValue(id) instanceof JsonObject entry)) throw new IllegalArgumentException(name + ": must be an object, got " + Json.encode(langs.getValue(id)));
        for (String k : entry.fieldNames()) {
          if (!k.equals("compiler") && !k.equals("flags")) throw new IllegalArgumentException(name + "." + k + ": unknown key (known: compiler, flags)");
        }
        String compiler = string(null, name + ".compiler", null);
        List<String> flags = new ArrayList<>();
        Object f = entry.getValue("flags");
        if (f != null) {
          if (!(f instanceof JsonArray a)) throw new IllegalArgumentException(name + ".flags: must be an array of strings, got " + Json.encode(f));
          for (int i = 0; i < a.size(); i++) {
            if (!(a.getValue(i) instanceof String flag)) throw new IllegalArgumentException(name + ".flags[" + i + "]: must be a string, got " + Json.encode(a.getValue(i)));
            flags.add(flag);
          }
        }
        out.put(id, new CompilerSettings(compiler, List.copyOf(flags)));
      }
      return java.util.Collections.unmodifiableMap(out);
    }

    private static String kind(Object v) {
      return v == null ? "null" : v instanceof String ? "string (not shown)" : v.getClass().getSimpleName();
    }
  }

  /** Every key the file may hold, "group.key" (for documentation and tests). */
  static Set<String> fileKeys() {
    Set<String> keys = new LinkedHashSet<>();
    SCHEMA.forEach((g, ks) -> ks.forEach(k -> keys.add(g.isEmpty() ? k : g + "." + k)));
    return keys;
  }
}
