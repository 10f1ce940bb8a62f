package dev.runner.jobs;

import io.vertx.core.json.JsonObject;

/** One test of a job. Its expected output stays in the service: it never enters a sandbox. */
public record TestCase(String id, boolean hidden, String input, String expectedOutput, String description) {
  JsonObject toJson() {
    return new JsonObject().put("id", id).put("hidden", hidden).put("input", input)
        .put("expected_output", expectedOutput).put("description", description);
  }

  static TestCase fromJson(JsonObject j) {
    return new TestCase(j.getString("id"), j.getBoolean("hidden"), j.getString("input"),
        j.getString("expected_output"), j.getString("description"));
  }
}
