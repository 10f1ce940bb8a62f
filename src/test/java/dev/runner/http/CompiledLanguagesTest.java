package dev.runner.http;

import static dev.runner.TestNode.test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.TestEnvironment;
import dev.runner.TestNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** C and C++ through the API of a real node: compiled in the sandbox, then run on every test. */
class CompiledLanguagesTest {
  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start(TestEnvironment.node(1));
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  private static JsonObject run(String language, String code, JsonObject extra, JsonObject... tests) {
    return node.run(language, code, extra, tests);
  }

  private static JsonObject first(JsonObject response) {
    return response.getJsonObject("test_results").getJsonArray("visible").getJsonObject(0);
  }

  private static String verdict(String language, String code, JsonObject extra) {
    return first(run(language, code, extra, test("", "expected"))).getString("verdict");
  }

  /** After a hostile job: the next job runs as usual. */
  private static void assertTheNodeStillRunsJobs() {
    assertEquals("OK", first(run("c", "#include <stdio.h>\nint main(void) { puts(\"fine\"); return 0; }\n", new JsonObject(),
        test("", "fine"))).getString("verdict"));
  }

  private static String program(String language, String body) {
    return language.equals("c")
        ? "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <unistd.h>\nint main(void) {\n" + body + "\n}\n"
        : "#include <bits/stdc++.h>\n#include <unistd.h>\nusing namespace std;\nint main() {\n" + body + "\n}\n";
  }

  @ParameterizedTest
  @ValueSource(strings = {"c", "cpp"})
  void aPlusBIsCompiledOnceAndRunOnEveryTest(String language) {
    String body = language.equals("c")
        ? "long a, b; if (scanf(\"%ld %ld\", &a, &b) != 2) return 1; printf(\"%ld\\n\", a + b); return 0;"
        : "long a, b; cin >> a >> b; cout << a + b << endl; return 0;";
    JsonObject r = run(language, program(language, body), new JsonObject(),
        test("1 2", "3"), test("40 2", "42"), test("2 2", "5"));
    JsonArray visible = r.getJsonObject("test_results").getJsonArray("visible");
    assertEquals("OK", visible.getJsonObject(0).getString("verdict"), r.encode());
    assertEquals("OK", visible.getJsonObject(1).getString("verdict"), r.encode());
    assertEquals("WA", visible.getJsonObject(2).getString("verdict"), r.encode());
    JsonObject compile = r.getJsonObject("compile");
    assertEquals("ok", compile.getString("status"), r.encode());
    assertTrue(compile.getLong("time_ms") > 0, r.encode());
  }

  @ParameterizedTest
  @ValueSource(strings = {"c", "cpp"})
  void everyVerdict(String language) {
    JsonObject oneSecond = new JsonObject().put("timeout_seconds", 1);
    assertEquals("TLE", verdict(language, program(language, "volatile long x = 0; for (;;) x++;"), oneSecond));
    assertEquals("TLE", verdict(language, program(language, "sleep(30); return 0;"), oneSecond));
    assertEquals("RTE", verdict(language, program(language, "return 3;"), new JsonObject()));
    JsonObject segv = first(run(language, program(language, "volatile int *p = 0; *p = 1; return 0;"), new JsonObject(), test("", "")));
    assertEquals("RTE", segv.getString("verdict"));
    assertEquals("killed by signal 11", segv.getString("error"));
    // volatile: the compiler may not drop the writes (nor the malloc) as it may for memset and a read
    String hog = "size_t n = 200u << 20; volatile char *p = (volatile char *) malloc(n); if (!p) return 2;"
        + " for (size_t i = 0; i < n; i += 4096) p[i] = 1; return 0;";
    assertEquals("MLE", verdict(language, program(language, hog), new JsonObject().put("memory_limit_mb", 64)));
    assertEquals("OLE", verdict(language, program(language, "for (;;) puts(\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\");"), oneSecond));
  }

  @ParameterizedTest
  @ValueSource(strings = {"c", "cpp"})
  void aCompileErrorGivesEveryTestCeWithTheCompilersMessage(String language) {
    JsonObject r = run(language, program(language, "return undefined_thing;"), new JsonObject(), test("", ""), test("", ""));
    JsonArray visible = r.getJsonObject("test_results").getJsonArray("visible");
    for (int i = 0; i < 2; i++) assertEquals("CE", visible.getJsonObject(i).getString("verdict"), r.encode());
    assertTrue(visible.getJsonObject(0).getString("stderr").contains("undefined_thing"), r.encode());
    assertEquals("error", r.getJsonObject("compile").getString("status"));
    assertEquals("compilation failed", r.getJsonObject("compile").getString("error"));
  }

  @Test
  void aLargeArrayFitsItsLimitAndIsMeasuredAndOneTooLargeIsMle() {
    String code = "#include <string.h>\nstatic char big[400 << 20];\nint main(void) { memset(big, 1, sizeof big); return big[12345] - 1; }\n";
    JsonObject ok = first(run("c", code, new JsonObject().put("memory_limit_mb", 512), test("", "")));
    assertEquals("OK", ok.getString("verdict"), ok.encode());
    assertTrue(ok.getDouble("memory_usage_mb") >= 400, ok.encode());
    String tooBig = "#include <string.h>\nstatic char big[80 << 20];\nint main(void) { memset(big, 1, sizeof big); return big[12345] - 1; }\n";
    assertEquals("MLE", first(run("c", tooBig, new JsonObject().put("memory_limit_mb", 64), test("", ""))).getString("verdict"));
  }

  /** A 40 MB program under a 16 MB limit: the program's own bytes are the node's to hold, not the limit's. */
  @Test
  void aLargeProgramRunsUnderASmallLimitAndIsNotRewrittenForEveryTest() {
    String code = "static char big[40 << 20] = {1};\nint main(void) { return big[0] - 1; }\n";
    JsonObject r = run("c", code, new JsonObject().put("memory_limit_mb", 16), test("", ""), test("", ""), test("", ""));
    JsonArray visible = r.getJsonObject("test_results").getJsonArray("visible");
    for (int i = 0; i < 3; i++) assertEquals("OK", visible.getJsonObject(i).getString("verdict"), r.encode());
  }

  /** The compiler reads what the source names: endless files are its time or memory limit, never the node's. */
  @Test
  void compileTimeBombsAreCompileErrorsAndTheNodeStaysHealthy() {
    for (String bomb : new String[] {"#include \"/dev/zero\"\nint main(void) { return 0; }\n",
        "#include </dev/urandom>\nint main(void) { return 0; }\n"}) {
      JsonObject r = run("c", bomb, new JsonObject(), test("", ""));
      assertEquals("CE", first(r).getString("verdict"), r.encode());
      assertEquals("error", r.getJsonObject("compile").getString("status"), r.encode());
    }
    assertTheNodeStillRunsJobs();
  }

  /** Macro and template explosions and warning floods hit the compile's own limits; output is capped at 64 KB. */
  @Test
  void compilerExplosionsAreCompileErrorsAndFloodsAreCapped() {
    StringBuilder macro = new StringBuilder("#define X1 x x\n");
    for (int i = 1; i < 40; i++) macro.append("#define X").append(i + 1).append(" X").append(i).append(" X").append(i).append('\n');
    JsonObject r = run("cpp", macro + "int main() { X40 return 0; }\n", new JsonObject(), test("", ""));
    assertEquals("CE", first(r).getString("verdict"), r.encode());
    String fib = "template<int N> struct F { enum { v = F<N-1>::v + F<N-2>::v + 1 }; };\ntemplate<> struct F<0> { enum { v = 1 }; };\n"
        + "template<> struct F<1> { enum { v = 1 }; };\nint main() { return F<890>::v; }\n";
    r = run("cpp", fib, new JsonObject(), test("", ""));
    assertEquals("CE", first(r).getString("verdict"), r.encode());
    assertTrue(r.getJsonObject("compile").getString("output").length() <= 64 << 10, r.getJsonObject("compile").getString("error"));
    String flood = "#warning flooding the output with warnings\n".repeat(5000) + "int main(void) { return 0; }\n";
    r = run("c", flood, new JsonObject(), test("", ""));
    JsonObject compile = r.getJsonObject("compile");
    assertEquals("OK", first(r).getString("verdict"), compile.getString("error"));
    assertTrue(compile.getBoolean("output_truncated"));
    assertTrue(compile.getString("output").length() <= 64 << 10);
  }

  /** Template Haskell runs code at compile time: it sees the image and its source, never a test's data. */
  @Test
  void codeRunAtCompileTimeSeesNoTestData() {
    String th = "{-# LANGUAGE TemplateHaskell #-}\nimport Language.Haskell.TH\nimport Language.Haskell.TH.Syntax\n"
        + "import System.Directory\nmain = putStrLn $(runIO (fmap (LitE . StringL . unwords) (listDirectory \"/work\")))\n";
    JsonObject r = first(run("hs", th, new JsonObject(), test("secret-input", "secret-answer")));
    assertEquals("WA", r.getString("verdict"), r.encode());
    assertTrue(r.getString("actual_output").contains("main.hs"), r.encode());
    assertFalse(r.getString("actual_output").contains("secret"), r.encode());
  }

  @Test
  void aForkBombWithSetsidIsContainedAndTheNextJobIsFine() {
    String bomb = "#include <unistd.h>\nint main(void) { for (;;) { if (fork() == 0) setsid(); } }\n";
    String v = first(run("c", bomb, new JsonObject().put("timeout_seconds", 2), test("", ""))).getString("verdict");
    assertTrue(v.equals("TLE") || v.equals("RTE"), v);
    assertTheNodeStillRunsJobs();
  }

  /** A contest answer of 300,000 numbers (2 MB) is judged whole, and only 64 KB of it comes back. */
  @Test
  void aLargeAnswerIsJudgedWhole() {
    StringBuilder expected = new StringBuilder();
    for (int i = 0; i < 300_000; i++) expected.append(1_000_000 + i).append('\n');
    String code = "#include <stdio.h>\nint main(void) { for (int i = 0; i < 300000; i++) printf(\"%d\\n\", 1000000 + i); }\n";
    JsonObject r = first(run("c", code, new JsonObject(), test("", expected.toString())));
    assertEquals("OK", r.getString("verdict"), r.getString("error"));
    assertTrue(r.getBoolean("actual_output_truncated"));
    assertEquals(64 << 10, r.getString("actual_output").length());
  }

  /** Interpreters have the big stack too: a memoized Python recursion and a plain JavaScript one, 100,000 deep. */
  @Test
  void deepRecursionInInterpreters() {
    String py = "import sys\nfrom functools import lru_cache\nsys.setrecursionlimit(10**6)\n"
        + "@lru_cache(None)\ndef depth(n):\n    return 0 if n == 0 else depth(n - 1) + 1\nprint(depth(100000))\n";
    JsonObject r = first(run("python", py, new JsonObject(), test("", "100000")));
    assertEquals("OK", r.getString("verdict"), r.encode());
    String js = "const depth = (n) => (n === 0 ? 0 : depth(n - 1) + 1);\nconsole.log(depth(100000));\n";
    r = first(run("javascript", js, new JsonObject(), test("", "100000")));
    assertEquals("OK", r.getString("verdict"), r.encode());
  }

  /** A million frames of about 100 bytes: beyond the usual 8 MB stack, within the 256 MB memory limit. */
  @Test
  void deepRecursionHasTheStackItNeeds() {
    // The frame is read after the call, so the compiler cannot turn the recursion into a loop.
    String code = "#include <stdio.h>\nlong depth(long n) { volatile char pad[64]; pad[n % 64] = 1; if (n == 0) return 0;"
        + " long r = depth(n - 1); return r + pad[n % 64]; }\nint main(void) { printf(\"%ld\\n\", depth(1000000)); return 0; }\n";
    JsonObject r = first(run("c", code, new JsonObject().put("memory_limit_mb", 256), test("", "1000000")));
    assertEquals("OK", r.getString("verdict"), r.encode());
  }

  @Test
  void javaRunsTheClassThatHasMainWhateverItIsCalled() {
    String sum = "import java.util.*;\npublic class Solution {\n  public static void main(String[] args) {\n"
        + "    Scanner in = new Scanner(System.in); long a = in.nextLong(), b = in.nextLong();\n    System.out.println(a + b);\n  }\n}\n";
    JsonObject r = run("java", sum, new JsonObject(), test("1 2", "3"), test("40 2", "42"), test("2 2", "5"));
    JsonArray visible = r.getJsonObject("test_results").getJsonArray("visible");
    assertEquals("OK", visible.getJsonObject(0).getString("verdict"), r.encode());
    assertEquals("OK", visible.getJsonObject(1).getString("verdict"), r.encode());
    assertEquals("WA", visible.getJsonObject(2).getString("verdict"), r.encode());
    // a non-public Main, a helper class, a package line, a comment that mentions another class
    String packaged = "package contest.a;\n// class Decoy { static void main(String[] a) {} }\nclass Helper { static int two() { return 2; } }\n"
        + "class Main {\n  public static void main(String[] args) { System.out.println(Helper.two() * 21); }\n}\n";
    assertEquals("OK", first(run("java", packaged, new JsonObject(), test("", "42"))).getString("verdict"));
  }

  @Test
  void javaVerdicts() {
    String wrap = "public class Main { public static void main(String[] args) throws Exception { %s } }";
    JsonObject oneSecond = new JsonObject().put("timeout_seconds", 1);
    assertEquals("TLE", verdict("java", wrap.formatted("while (true) {}"), oneSecond));
    assertEquals("RTE", verdict("java", wrap.formatted("throw new IllegalStateException(\"boom\");"), new JsonObject()));
    assertEquals("RTE", verdict("java", wrap.formatted("System.exit(3);"), new JsonObject()));
    JsonObject oom = first(run("java", wrap.formatted("java.util.List<long[]> l = new java.util.ArrayList<>(); while (true) l.add(new long[1 << 20]);"),
        new JsonObject().put("memory_limit_mb", 128), test("", "")));
    assertEquals("MLE", oom.getString("verdict"), oom.encode());
    JsonObject ce = run("java", wrap.formatted("int x = \"text\";"), new JsonObject(), test("", ""));
    assertEquals("CE", first(ce).getString("verdict"), ce.encode());
    assertTrue(ce.getJsonObject("compile").getString("output").contains("incompatible types"), ce.encode());
    String longName = "public class " + "A".repeat(300) + " { public static void main(String[] a) {} }";
    JsonObject tooLong = run("java", longName, new JsonObject(), test("", ""));
    assertEquals("CE", first(tooLong).getString("verdict"), tooLong.encode());
  }

  @Test
  void eachCppStandardIsItsOwnLanguageAndAliasesNameThem() {
    String concepts = "#include <cstdio>\ntemplate <typename T> concept Small = sizeof(T) <= 8;\n"
        + "template <Small T> T twice(T x) { return 2 * x; }\nint main() { std::printf(\"%d\\n\", twice(21)); }\n";
    assertEquals("OK", first(run("cpp20", concepts, new JsonObject(), test("", "42"))).getString("verdict"));
    assertEquals("CE", first(run("cpp17", concepts, new JsonObject(), test("", "42"))).getString("verdict"));
    assertEquals("CE", first(run("cpp", concepts, new JsonObject(), test("", "42"))).getString("verdict")); // cpp = cpp17
    assertEquals("OK", first(run("py3", "print(6 * 7)", new JsonObject(), test("", "42"))).getString("verdict"));
    assertEquals("OK", first(run("js", "console.log(6 * 7)", new JsonObject(), test("", "42"))).getString("verdict"));
  }

  @Test
  void compiledLanguagesHaveNoEntrypoint() {
    HttpResponse<Buffer> r = node.client.post("/run").sendJsonObject(new JsonObject().put("language", "c").put("code", "int main(){}")
        .put("entrypoint", "main").put("tests", new JsonObject().put("visible", new JsonArray().add(test("", ""))))).await();
    assertEquals(400, r.statusCode());
    assertTrue(r.bodyAsJsonObject().getString("error").contains("programs"), r.bodyAsString());
  }
}
