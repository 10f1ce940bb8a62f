package dev.runner.jobs;

import io.vertx.core.json.JsonObject;

/**
 * How a compiled language's compile step went: its wall time, the compiler's output (capped) and,
 * when it failed, why ("compilation failed", "compilation timed out (15 s)", ...).
 */
public record CompileOutcome(boolean ok, long timeMs, String output, String error) {
  public JsonObject toJson() {
    return new JsonObject().put("ok", ok).put("time_ms", timeMs).put("output", output).put("error", error);
  }

  public static CompileOutcome fromJson(JsonObject j) {
    return new CompileOutcome(j.getBoolean("ok"), j.getLong("time_ms"), j.getString("output"), j.getString("error"));
  }
}
