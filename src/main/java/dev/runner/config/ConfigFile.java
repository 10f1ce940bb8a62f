package dev.runner.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the node's configuration once, with Vert.x's config library: a ConfigRetriever with a file
 * store (the JSON file) and an env store (the variables of {@link RunnerConfig#ENV_VARIABLES} only,
 * as strings), the later store, the environment, winning. The merged result is split back into the
 * file's keys and the variables and handed to {@link RunnerConfig#from}, which validates it.
 */
public final class ConfigFile {
  /** The file read when RUNNER_CONFIG is not set (relative to the working directory); it may be missing. */
  public static final String DEFAULT_PATH = "conf/runner.json";

  private ConfigFile() {}

  /**
   * The configuration of {@code named} (RUNNER_CONFIG's value: a file that must exist) or, when it is
   * null or blank, of {@link #DEFAULT_PATH} if there is one, and the environment. Fails with an
   * IllegalArgumentException naming the file, key or variable at fault. Nothing blocks: the file is
   * read through {@code vertx}'s file system.
   */
  public static Future<RunnerConfig> load(Vertx vertx, String named) {
    boolean explicit = named != null && !named.isBlank();
    String path = explicit ? named.trim() : DEFAULT_PATH;
    return vertx.fileSystem().exists(path).compose(exists -> {
      if (!exists && explicit) {
        return Future.failedFuture(new IllegalArgumentException("RUNNER_CONFIG: " + path + " does not exist"));
      }
      ConfigRetrieverOptions options = new ConfigRetrieverOptions().setScanPeriod(0) // read once: no rescans
          .setIncludeDefaultStores(false);
      if (exists) { // not optional: an optional store would hide a file that does not parse
        options.addStore(new ConfigStoreOptions().setType("file").setFormat("json")
            .setConfig(new JsonObject().put("path", path)));
      }
      options.addStore(new ConfigStoreOptions().setType("env").setConfig(new JsonObject()
          .put("raw-data", true).put("keys", new JsonArray(List.copyOf(RunnerConfig.ENV_VARIABLES)))));
      ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
      String source = explicit ? "RUNNER_CONFIG: " + path : path;
      return retriever.getConfig()
          .eventually(retriever::close)
          .recover(err -> Future.failedFuture(new IllegalArgumentException(source + ": " + err.getMessage(), err)))
          .compose(merged -> {
            try {
              return Future.succeededFuture(fromMerged(merged));
            } catch (IllegalArgumentException e) {
              boolean fileKey = exists && !e.getMessage().startsWith("RUNNER_"); // a key of the file, not a variable
              return Future.failedFuture(new IllegalArgumentException((fileKey ? source + ": " : "") + e.getMessage(), e));
            }
          });
    });
  }

  /** The retriever's merged JSON, split into the variables (top-level RUNNER_* names) and the file's keys. */
  static RunnerConfig fromMerged(JsonObject merged) {
    JsonObject file = new JsonObject();
    Map<String, String> env = new HashMap<>();
    for (String key : merged.fieldNames()) {
      Object v = merged.getValue(key);
      if (RunnerConfig.ENV_VARIABLES.contains(key) && v instanceof String s) env.put(key, s);
      else file.put(key, v);
    }
    return RunnerConfig.from(file, env);
  }
}
