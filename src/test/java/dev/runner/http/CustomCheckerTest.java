package dev.runner.http;

import static dev.runner.TestNode.test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.TestEnvironment;
import dev.runner.TestNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Custom checkers through the API of a real node: a checker program of the problem's own, compiled
 * once per job in a sandbox of its own, run per test as testlib runs checkers.
 */
class CustomCheckerTest {
  private static TestNode node;

  /** Accepts any whitespace-separated permutation of the answer's numbers: what no built-in comparison does. */
  private static final String CPP_CHECKER = """
      #include <bits/stdc++.h>
      using namespace std;
      int main(int argc, char** argv) {
        if (argc != 4) { fprintf(stderr, "usage: checker input output answer\\n"); return 3; }
        ifstream out(argv[2]), ans(argv[3]);
        vector<long> a, b; long x;
        while (out >> x) a.push_back(x);
        if (!out.eof()) { fprintf(stderr, "the output is not a list of numbers\\n"); return 2; }
        while (ans >> x) b.push_back(x);
        sort(a.begin(), a.end()); sort(b.begin(), b.end());
        if (a != b) { fprintf(stderr, "wrong answer: %zu numbers, expected %zu\\n", a.size(), b.size()); return 1; }
        fprintf(stderr, "ok %zu numbers\\n", a.size());
        return 0;
      }
      """;

  private static final String PY_CHECKER = """
      import sys
      inp, out, ans = (open(p).read().split() for p in sys.argv[1:4])
      if sorted(out, key=int) == sorted(ans, key=int):
          print("ok", len(out), "numbers", file=sys.stderr)
          sys.exit(0)
      print("wrong answer", file=sys.stderr)
      sys.exit(1)
      """;

  /** Prints the numbers of its input in the order given, or reversed when the input starts with "r". */
  private static final String SOLUTION = "import sys\nw = sys.stdin.read().split()\n"
      + "print(*(reversed(w[1:]) if w[0] == 'r' else w[1:]))\n";

  @BeforeAll
  static void start() {
    node = TestNode.start(TestEnvironment.node(1));
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  private static JsonObject custom(String language, String code) {
    return new JsonObject().put("checker", new JsonObject().put("type", "custom").put("language", language).put("code", code));
  }

  private static JsonObject run(JsonObject checker, String solution, JsonObject... tests) {
    return node.run("python", solution, checker, tests);
  }

  private static JsonArray visible(JsonObject r) {
    return r.getJsonObject("test_results").getJsonArray("visible");
  }

  @ParameterizedTest
  @ValueSource(strings = {"cpp", "python"})
  void aCheckerProgramJudgesEveryTestAndItsMessageIsShown(String language) {
    JsonObject r = run(custom(language, language.equals("cpp") ? CPP_CHECKER : PY_CHECKER), SOLUTION,
        test("r 1 2 3", "1 2 3"), test("n 5 6", "6 5"), test("n 1 2", "1 2 3"));
    JsonArray v = visible(r);
    assertEquals("OK", v.getJsonObject(0).getString("verdict"), r.encode());
    assertEquals("ok 3 numbers", v.getJsonObject(0).getString("checker_message"), r.encode());
    assertEquals("OK", v.getJsonObject(1).getString("verdict"), r.encode());
    assertEquals("WA", v.getJsonObject(2).getString("verdict"), r.encode());
    assertTrue(v.getJsonObject(2).getString("checker_message").startsWith("wrong answer"), r.encode());
    assertEquals("ok", r.getJsonObject("checker_compile").getString("status"), r.encode());
  }

  @Test
  void exitTwoIsAPresentationErrorAndTheCheckerIsNotAskedWhenTheProgramFailed() {
    JsonObject r = run(custom("cpp", CPP_CHECKER), "import sys\nw = sys.stdin.read()\nprint('x' if w == 'bad' else 1 / 0)\n",
        test("bad", "1"), test("1", "1"));
    JsonArray v = visible(r);
    assertEquals("WA", v.getJsonObject(0).getString("verdict"), r.encode());
    assertTrue(v.getJsonObject(0).getString("error").contains("presentation"), r.encode());
    assertEquals("RTE", v.getJsonObject(1).getString("verdict"), r.encode());
    assertEquals(null, v.getJsonObject(1).getValue("checker_message"), r.encode());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "int main() { return *(volatile int*)0; }", // a crash
      "#include <unistd.h>\nint main() { for (;;); }", // spins past its time limit
      "int main() { return 3; }", // testlib's "fail": the checker itself is broken
      "#include <stdlib.h>\n#include <string.h>\nint main() { for (;;) memset(malloc(1 << 20), 1, 1 << 20); }",
  })
  void aCheckerThatFailsIsAJudgeError(String checker) {
    JsonObject r = run(custom("c", checker), SOLUTION, test("n 1", "1"));
    JsonObject t = visible(r).getJsonObject(0);
    assertEquals("JE", t.getString("verdict"), r.encode());
    assertEquals("failed", t.getString("status"), r.encode());
    assertTrue(t.getString("error").startsWith("the checker"), r.encode());
  }

  @Test
  void aPythonCheckerThatRaisesIsAJudgeErrorNotAWrongAnswer() {
    JsonObject r = run(custom("python", "import sys\nraise ValueError('broken checker')\n"), SOLUTION, test("n 1", "1"));
    JsonObject t = visible(r).getJsonObject(0);
    assertEquals("JE", t.getString("verdict"), r.encode());
    assertTrue(t.getString("checker_message").contains("ValueError: broken checker"), r.encode());
  }

  @ParameterizedTest
  @ValueSource(strings = {"cpp", "python"})
  void aCheckerThatDoesNotCompileMakesEveryTestAJudgeError(String language) {
    JsonObject r = run(custom(language, "this is not a program ("), SOLUTION, test("n 1", "1"), test("n 2", "2"));
    for (Object o : visible(r)) assertEquals("JE", ((JsonObject) o).getString("verdict"), r.encode());
    JsonObject compile = r.getJsonObject("checker_compile");
    assertEquals("error", compile.getString("status"), r.encode());
    assertFalse(compile.getString("output").isEmpty(), r.encode());
  }

  /** A checker that prints everything it was given, and the contestant's code that looks for the answer. */
  @Test
  void nothingOfAHiddenTestLeavesThroughTheChecker() {
    String leaky = "import sys\nfor p in sys.argv[1:4]:\n    t = open(p).read()\n    print(t)\n    print(t, file=sys.stderr)\n"
        + "sys.exit(int(open(sys.argv[3]).read().split()[0]) % 2)\n";
    String secret = "SECRET-ANSWER-4242";
    // The contestant's program looks for the answer in every file it can reach (its own source spells it in two halves).
    String snoop = "import os\nfound = []\nfor top in ['/work', '/tmp', '/dev/shm', '/opt', '/var', '/run', '/home', '/root', '/mnt']:\n"
        + "  for root, dirs, files in os.walk(top):\n"
        + "    for f in files:\n        try:\n            if b'SECRET' + b'-ANSWER' in open(os.path.join(root, f), 'rb').read(1 << 20): found.append(f)\n"
        + "        except Exception: pass\nprint(found)\n";
    JsonObject req = new JsonObject().put("language", "python").put("code", snoop).put("timeout_seconds", 10)
        .put("checker", custom("python", leaky).getJsonObject("checker"))
        .put("tests", new JsonObject().put("visible", new JsonArray().add(test("x", "2 visible")))
            .put("hidden", new JsonArray().add(new JsonObject().put("id", "h").put("input", "y").put("expected_output", "3 " + secret))));
    HttpResponse<Buffer> resp = node.client.post("/run").sendJsonObject(req).await();
    assertEquals(200, resp.statusCode(), resp.bodyAsString());
    String body = resp.bodyAsString();
    assertFalse(body.contains(secret), body);
    JsonObject r = resp.bodyAsJsonObject();
    assertEquals("WA", r.getJsonObject("test_results").getJsonArray("hidden").getJsonObject(0).getString("verdict"), body);
    JsonObject v = visible(r).getJsonObject(0);
    assertEquals("[]", v.getString("actual_output").strip(), body); // the contestant's sandbox never held an answer
    assertTrue(v.getString("checker_message").contains("2 visible"), body); // a visible test's own data may be shown
  }

  @Test
  void aMalformedCheckerIsA400NamingTheField() {
    List<JsonObject> bad = List.of(
        new JsonObject().put("type", "custom").put("code", "x"),
        new JsonObject().put("type", "custom").put("language", "cobol").put("code", "x"),
        new JsonObject().put("type", "custom").put("language", "cpp"),
        new JsonObject().put("type", "custom").put("language", "cpp").put("code", 5),
        new JsonObject().put("type", "custom").put("language", "cpp").put("code", "a\u0000b"));
    List<String> named = List.of("checker.language", "checker.language", "checker.code", "checker.code", "checker.code");
    for (int i = 0; i < bad.size(); i++) {
      JsonObject req = new JsonObject().put("language", "python").put("code", "print(1)").put("checker", bad.get(i))
          .put("tests", new JsonObject().put("visible", new JsonArray().add(test("", "1"))));
      HttpResponse<Buffer> resp = node.client.post("/run").sendJsonObject(req).await();
      assertEquals(400, resp.statusCode(), resp.bodyAsString());
      String error = resp.bodyAsJsonObject().getString("error");
      assertNotNull(error);
      assertTrue(error.startsWith(named.get(i)), error);
    }
  }
}
