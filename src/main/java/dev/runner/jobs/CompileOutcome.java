package dev.runner.jobs;

import io.vertx.core.json.JsonObject;

/**
 * How a compiled language's compile step went: its wall time, the compiler's output (capped; {@code
 * outputTruncated} says so) and, when it failed, why ("compilation failed", "compilation timed out
 * (15 s)", ...). Its JSON is the response's {@code compile} object and travels on the event bus as is.
 */
public record CompileOutcome(boolean ok, long timeMs, String output, boolean outputTruncated, String error) {
  static CompileOutcome ok(long timeMs, String output, boolean truncated) {
    return new CompileOutcome(true, timeMs, output, truncated, null);
  }

  static CompileOutcome failed(long timeMs, String output, boolean truncated, String error) {
    return new CompileOutcome(false, timeMs, output, truncated, error);
  }

  public JsonObject toJson() {
    return new JsonObject().put("status", ok ? "ok" : "error").put("time_ms", timeMs).put("output", output)
        .put("output_truncated", outputTruncated).put("error", error);
  }

  public static CompileOutcome fromJson(JsonObject j) {
    return new CompileOutcome("ok".equals(j.getString("status")), j.getLong("time_ms"), j.getString("output"),
        j.getBoolean("output_truncated"), j.getString("error"));
  }
}
