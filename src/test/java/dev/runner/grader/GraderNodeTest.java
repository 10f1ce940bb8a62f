package dev.runner.grader;

import static dev.runner.grader.TestGrader.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.TestCerts;
import dev.runner.TestEnvironment;
import dev.runner.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A real node polling the in-test grader over mutual TLS (RUNNER_GRADER_URL and RUNNER_TLS_*, as an
 * operator sets them): a C++ job and a Python one judged in real sandboxes, each test's output hash
 * the md5 of its stdout, and a job whose input the node lacks asked for again, then run with it.
 */
class GraderNodeTest {
  private static final String SUM_CPP = "#include <iostream>\nint main() { long a, b; std::cin >> a >> b; std::cout << a + b << std::endl; }";
  private static final String SUM_PY = "a, b = map(int, input().split())\nprint(a + b)";

  static String md5(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonArray cases(String... inputs) {
    JsonArray cases = new JsonArray();
    for (int i = 0; i < inputs.length; i++) cases.add(new JsonObject().put("name", String.valueOf(i + 1)).put("input", inputs[i]));
    return cases;
  }

  /** A job of this run's own (a fresh input hash: nothing of an earlier run is reused). */
  private static JsonObject job(String id, String lang, String file, String code, JsonArray cases) {
    JsonObject job = new JsonObject().put("id", id).put("lang", lang).put("code", new JsonObject().put(file, code))
        .put("input_hash", md5(UUID.randomUUID() + String.valueOf(cases))).put("time_limit_ms", 2000).put("memory_limit_kb", 262144)
        .put("output_limit_kb", 1024);
    return cases == null ? job : job.put("cases", cases);
  }

  private static void assertSums(JsonObject result, String id, String... sums) {
    assertEquals(id, result.getString("id"), result.encode());
    assertEquals("OK", result.getString("status"), result.encode());
    assertTrue(result.getValue("token") instanceof String && result.containsKey("compile_time_ms"), result.encode());
    JsonArray results = result.getJsonArray("results");
    assertEquals(sums.length, results.size(), result.encode());
    for (int i = 0; i < sums.length; i++) {
      JsonObject r = results.getJsonObject(i);
      assertEquals(String.valueOf(i + 1), r.getString("name"), r.encode());
      assertEquals("OK", r.getString("status"), r.encode());
      assertEquals(md5(sums[i] + "\n"), r.getString("output_hash"), r.encode());
    }
  }

  @Test
  void aNodeTakesJobsFromTheGraderOverMutualTlsAndPostsTheirResults() {
    TestCerts certs = TestCerts.make();
    try (TestGrader grader = new TestGrader(certs)) {
      Map<String, String> env = new HashMap<>(certs.apiEnv()); // the node's API certificate is its client certificate too
      env.put("RUNNER_GRADER_URL", grader.url());
      env.put("RUNNER_MAX_JOBS", "2");
      JsonObject cpp = job("cpp-1", "cpp17", "main.cpp", SUM_CPP, cases("1 2\n", "40 2\n"));
      JsonObject py = job("py-1", "py3", "main.py", SUM_PY, cases("2 3\n"));
      JsonObject noInput = job("py-2", "py3", "main.py", SUM_PY, null);
      grader.queue(cpp, py, noInput);
      try (TestNode node = TestNode.start(TestEnvironment.node(1, env))) {
        await("three results", 180_000, () -> grader.results.size() >= 3);
        Map<String, JsonObject> byId = new HashMap<>();
        for (JsonObject r : grader.results) byId.put(r.getString("id"), r);
        assertSums(byId.get("cpp-1"), "cpp-1", "3", "42");
        assertSums(byId.get("py-1"), "py-1", "5");
        JsonObject missing = byId.get("py-2");
        assertEquals("missing_input", missing.getString("status"), missing.encode());

        // The grader sends it again with its cases, as a missing input asks.
        grader.queue(noInput.copy().put("id", "py-2b").put("cases", cases("20 22\n")));
        await("the re-sent job's result", 120_000, () -> grader.results.size() == 4);
        assertSums(grader.results.get(3), "py-2b", "42");
        assertEquals(4, grader.served.get());
        assertEquals(4, grader.posts.get());
      }
    }
  }
}
