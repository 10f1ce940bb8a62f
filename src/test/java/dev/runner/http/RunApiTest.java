package dev.runner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.TestEnvironment;
import dev.runner.TestNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real jobs through the HTTP API of a real node (clustered Vert.x, Hazelcast, Podman sandboxes).
 * The pool has one sandbox per language, so consecutive jobs of a language share a container and
 * the leftovers tests really look at what the previous job left.
 */
class RunApiTest {
  private static TestNode node;
  private static WebClient client;

  @BeforeAll
  static void start() {
    node = TestNode.start(TestEnvironment.node(1));
    client = node.client;
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  static HttpResponse<Buffer> post(Buffer body) {
    return client.post("/run").sendBuffer(body).await();
  }

  static JsonObject run(JsonObject request) {
    HttpResponse<Buffer> r = post(request.toBuffer());
    assertEquals(200, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  static JsonObject job(String language, String code, JsonArray visible, JsonArray hidden) {
    return new JsonObject().put("language", language).put("code", code)
        .put("tests", new JsonObject().put("visible", visible).put("hidden", hidden));
  }

  static JsonObject test(String id, String input, String expected) {
    return new JsonObject().put("id", id).put("input", input).put("expected_output", expected);
  }

  /** One visible test; returns its result. */
  static JsonObject single(String language, String code, String input, String expected, JsonObject extra) {
    JsonObject req = job(language, code, new JsonArray().add(test("t", input, expected)), new JsonArray()).mergeIn(extra);
    return run(req).getJsonObject("test_results").getJsonArray("visible").getJsonObject(0);
  }

  /** Seed 003 spells it with a slash: the same API on either path. */
  @Test
  void runIsServedWithAndWithoutTheTrailingSlash() {
    JsonObject req = job("python", "print(6 * 7)", new JsonArray().add(test("t", "", "42")), new JsonArray());
    HttpResponse<Buffer> r = client.post("/run/").sendJsonObject(req).await();
    assertEquals(200, r.statusCode(), r.bodyAsString());
    assertEquals(1, r.bodyAsJsonObject().getJsonObject("summary").getInteger("passed"), r.bodyAsString());
  }

  static String verdict(String language, String code, JsonObject extra) {
    return single(language, code, "", "expected", extra).getString("verdict");
  }

  @Test
  void seedExampleVerbatimPasses() {
    JsonObject r = run(new JsonObject("""
        {
          "language": "python",
          "code": "def factorial(n):\\n    return 1 if n == 0 else n * factorial(n-1)",
          "tests": {
            "visible": [{"id": "test_1", "input": "5", "expected_output": "120", "description": "Test factorial of 5"}],
            "hidden": [{"id": "hidden_1", "input": "0", "expected_output": "1", "description": "Edge case: factorial of 0"}]
          },
          "timeout_seconds": 5,
          "memory_limit_mb": 256
        }"""));
    assertEquals(new JsonObject().put("visible_passed", 1).put("visible_failed", 0).put("hidden_passed", 1)
        .put("hidden_failed", 0).put("total", 2).put("passed", 2), r.getJsonObject("summary"));
    JsonObject visible = r.getJsonObject("test_results").getJsonArray("visible").getJsonObject(0);
    assertEquals("passed", visible.getString("status"));
    assertEquals("OK", visible.getString("verdict"));
    assertEquals("120\n", visible.getString("actual_output"));
    assertEquals("5", visible.getString("input"));
    assertEquals("120", visible.getString("expected_output"));
    assertNull(visible.getString("error"));
    // A Python start takes milliseconds and megabytes; an unmeasured field would be 0.
    assertTrue(visible.getLong("execution_time_ms") > 0, visible.encode());
    assertTrue(visible.getLong("execution_time_ms") < 5_000, visible.encode());
    assertTrue(visible.getDouble("memory_usage_mb") > 1, visible.encode());
    JsonObject hidden = r.getJsonObject("test_results").getJsonArray("hidden").getJsonObject(0);
    assertEquals(Set.of("id", "status", "verdict", "execution_time_ms", "memory_usage_mb"), hidden.fieldNames());
    assertEquals("passed", hidden.getString("status"));
    JsonObject execution = r.getJsonObject("execution");
    assertEquals("success", execution.getString("status"));
    assertEquals(0, execution.getInteger("exit_code"));
    assertTrue(execution.containsKey("stdout") && execution.containsKey("stderr") && execution.containsKey("memory_usage_mb"));
  }

  @Test
  void javascriptFunctionsAndModuleExports() {
    assertEquals("OK", single("javascript", "function add(a, b) { return a + b; }", "[2, 3]", "5", new JsonObject()).getString("verdict"));
    assertEquals("[3,2,1]", single("javascript", "module.exports = (xs) => xs.slice().reverse();", "[[1,2,3]]", "[3,2,1]",
        new JsonObject()).getString("actual_output").trim());
    assertEquals("HELLO", single("javascript", "const util = require('util');\nconst shout = (s) => s.toUpperCase();\n"
        + "function unused() {}\n", "hello", "HELLO", new JsonObject().put("entrypoint", "shout")).getString("actual_output").trim());
  }

  @Test
  void pythonFunctionResultsArePrintedAsJson() {
    JsonObject r = single("python", "import math\n\ndef f(xs, flag):\n    return {'n': len(xs), 'ok': flag, 'none': None}\n",
        "[[1, 2], true]", "{\"n\":2,\"ok\":true,\"none\":null}", new JsonObject());
    assertEquals("OK", r.getString("verdict"), r.encode());
    assertEquals("hello world", single("python", "def echo(s):\n    return s\n", "hello world", "hello world",
        new JsonObject()).getString("actual_output").trim());
  }

  @ParameterizedTest
  @ValueSource(strings = {"python", "javascript"})
  void programsReadStdinAndComparisonIgnoresTrailingWhitespace(String language) {
    String code = language.equals("python")
        ? "a, b = map(int, input().split())\nprint(a + b, '  ')\nprint()\n"
        : "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(' ').map(Number);\nconsole.log(a + b + '  \\n');\n";
    JsonObject r = single(language, code, "2 40\n", "42", new JsonObject());
    assertEquals("OK", r.getString("verdict"), r.encode());
    assertEquals("WA", single(language, code, "2 41\n", "42", new JsonObject()).getString("verdict"));
  }

  @Test
  void theCheckerDecidesWhatAMatchIs() {
    String code = "print('The answer: 0.333333333')\nprint('YES')";
    String expected = "The answer:   0.3333333\nyes";
    assertEquals("WA", single("python", code, "", expected, new JsonObject()).getString("verdict"));
    assertEquals("WA", single("python", code, "", expected, new JsonObject().put("checker",
        new JsonObject().put("type", "float"))).getString("verdict")); // YES is a word: exactly
    assertEquals("OK", single("python", code, "", "The answer: 0.3333333\nYES", new JsonObject().put("checker",
        new JsonObject().put("type", "float"))).getString("verdict"));
    assertEquals("OK", single("python", "print('a  B\\tc')", "", "A b C", new JsonObject().put("checker",
        new JsonObject().put("type", "tokens").put("case_sensitive", false))).getString("verdict"));
    assertEquals("WA", single("python", "print('42')", "", "42", new JsonObject().put("checker",
        new JsonObject().put("type", "exact"))).getString("verdict")); // the newline counts
    assertEquals("OK", single("python", "print('42', end='')", "", "42", new JsonObject().put("checker",
        new JsonObject().put("type", "exact"))).getString("verdict"));
  }

  @Test
  void aSubSecondTimeLimitIsEnforced() {
    JsonObject half = new JsonObject().put("timeout_seconds", 0.5);
    JsonObject r = single("python", "while True: pass", "", "", half);
    assertEquals("TLE", r.getString("verdict"));
    assertTrue(r.getLong("execution_time_ms") < 1500, r.encode());
    assertEquals("OK", single("python", "print('fast')", "", "fast", half).getString("verdict"));
  }

  @Test
  void programsRunAsMainWithTheirOwnTraceback() {
    String code = "import sys\n\ndef main():\n    print(sys.argv[0], __name__)\n    raise KeyError('k')\n\n"
        + "if __name__ == '__main__':\n    main()\n";
    JsonObject r = single("python", code, "", "", new JsonObject());
    assertEquals("/work/main.py __main__", r.getString("actual_output").trim());
    assertEquals("RTE", r.getString("verdict"));
    assertTrue(r.getString("stderr").startsWith("Traceback (most recent call last):\n  File \"/work/main.py\""), r.getString("stderr"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"python", "javascript"})
  void everyVerdict(String language) {
    boolean py = language.equals("python");
    JsonObject oneSecond = new JsonObject().put("timeout_seconds", 1);
    assertEquals("TLE", verdict(language, py ? "while True: pass" : "for (;;) {}", oneSecond));
    assertEquals("TLE", verdict(language, py ? "import time\ntime.sleep(30)" : "setTimeout(() => {}, 30000);", oneSecond));
    JsonObject small = new JsonObject().put("memory_limit_mb", 64);
    String hog = py ? "x = bytearray(200 * 1024 * 1024)\nfor i in range(0, len(x), 4096): x[i] = 1\nprint(len(x))"
        : "const b = Buffer.alloc(200 * 1024 * 1024, 1);\nconsole.log(b.length);";
    assertEquals("MLE", verdict(language, hog, small));
    assertEquals("RTE", verdict(language, py ? "raise ValueError('boom')" : "throw new Error('boom');", new JsonObject()));
    assertEquals("RTE", verdict(language, py ? "import sys\nsys.exit(3)" : "process.exit(3);", new JsonObject()));
    assertEquals("OLE", verdict(language, py ? "while True: print('x' * 1000)" : "for (;;) console.log('x'.repeat(1000));", oneSecond));
    JsonObject ce = single(language, py ? "def broken(:\n  pass" : "function broken( {", "", "x", new JsonObject());
    assertEquals("CE", ce.getString("verdict"));
    assertTrue(ce.getString("stderr").contains("SyntaxError"), ce.getString("stderr"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"python", "javascript"})
  void theMemoryLimitIsTheRequestedOneNotThePools(String language) {
    String code = language.equals("python")
        ? "x = bytearray(100 * 1024 * 1024)\nfor i in range(0, len(x), 4096): x[i] = 1\nprint('fits')"
        : "const b = Buffer.alloc(100 * 1024 * 1024, 1);\nconsole.log('fits');";
    assertEquals("MLE", single(language, code, "", "fits", new JsonObject().put("memory_limit_mb", 80)).getString("verdict"));
    assertEquals("OK", single(language, code, "", "fits", new JsonObject().put("memory_limit_mb", 300)).getString("verdict"));
    assertEquals("MLE", single(language, code, "", "fits", new JsonObject().put("memory_limit_mb", 80)).getString("verdict"));
  }

  @Test
  void anInputLargerThanTheMemoryLimitIsTheProgramsProblemNotTheNodes() {
    String big = "x".repeat(12 << 20);
    JsonObject small = new JsonObject().put("memory_limit_mb", 16);
    assertEquals("OK", single("python", "print('ignored the input')", big, "ignored the input", small).getString("verdict"));
    JsonObject read = single("python", "import sys\ndata = sys.stdin.read()\ncopy = data.upper()\nprint(len(copy))", big, "", small);
    assertEquals("MLE", read.getString("verdict"), read.getString("stderr"));
  }

  @Test
  void theNetworkIsUnreachable() {
    String code = """
        import socket
        try:
            socket.create_connection(("1.1.1.1", 53), timeout=2)
            print("connected")
        except OSError as e:
            print("blocked")
        print(sorted(n for _, n in socket.if_nameindex()))
        """;
    assertEquals("blocked\n['lo']", single("python", code, "", "", new JsonObject()).getString("actual_output").trim());
  }

  @Test
  void onlyWorkAndTmpAreWritable() {
    String code = """
        import os
        wrote = []
        for d in ["/", "/etc", "/opt/runner", "/usr/bin", "/var", "/home", "/root", "/opt/sv", "/proc/1"]:
            try:
                open(os.path.join(d, "x"), "w").write("x")
                wrote.append(d)
            except OSError:
                pass
        for d in ["/work", "/tmp"]:
            open(os.path.join(d, "ok"), "w").write("x")
        print("wrote outside:", wrote)
        """;
    JsonObject r = single("python", code, "", "wrote outside: []", new JsonObject());
    assertEquals("OK", r.getString("verdict"), r.encode());
  }

  @Test
  void theSupervisorAndTheHostAreOutOfReach() {
    String code = """
        import os, signal
        print(sorted(os.environ))
        for path in ["/proc/1/environ", "/opt/sv/chan/sv.sock", "/proc/1/root/etc/hostname"]:
            try:
                open(path, "rb").read()
                print("read", path)
            except OSError:
                pass
        try:
            os.kill(1, signal.SIGKILL)
            print("killed the supervisor")
        except OSError:
            pass
        print(os.getuid(), os.geteuid(), open("/proc/self/status").read().split("CapEff:")[1].split()[0])
        os.kill(-1, signal.SIGKILL)
        """;
    JsonObject r = single("python", code, "", "", new JsonObject());
    assertEquals("['HOME', 'LANG', 'PATH', 'PYTHONDONTWRITEBYTECODE', 'TMPDIR']\n1000 1000 0000000000000000", r.getString("actual_output").trim());
    assertEquals("RTE", r.getString("verdict"));
    assertEquals("OK", verdict("python", "print('expected')", new JsonObject()));
  }

  @Test
  void javascriptIsConfinedToo() {
    String code = """
        const fs = require('fs');
        const net = require('net');
        const wrote = [];
        for (const d of ['/', '/etc', '/opt/runner', '/usr/lib']) {
          try { fs.writeFileSync(d + '/x', 'x'); wrote.push(d); } catch (e) {}
        }
        fs.writeFileSync('/tmp/ok', 'x');
        const s = net.connect({ host: '1.1.1.1', port: 53, timeout: 2000 });
        s.on('connect', () => { console.log('connected', wrote); process.exit(0); });
        s.on('error', () => { console.log('blocked', wrote); process.exit(0); });
        s.on('timeout', () => { console.log('timeout', wrote); process.exit(0); });
        """;
    assertEquals("blocked []", single("javascript", code, "", "", new JsonObject()).getString("actual_output").trim());
  }

  @Test
  void aForkBombIsContainedAndTheNextJobIsFine() {
    String bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n";
    String v = verdict("python", bomb, new JsonObject().put("timeout_seconds", 2));
    assertTrue(Set.of("TLE", "RTE").contains(v), v);
    assertEquals("OK", verdict("python", "print('expected')", new JsonObject()));
  }

  @Test
  void nothingIsLeftForTheNextJob() {
    String leave = """
        import os, socket, subprocess
        for d in ["/work", "/tmp", "/dev/shm"]:
            open(d + "/left-behind", "w").write("secret")
        subprocess.Popen(["sleep", "600"], start_new_session=True)
        if os.fork() == 0:
            os.setsid()
            import time
            time.sleep(600)
        print(socket.gethostname())
        """;
    String host = single("python", leave, "", "", new JsonObject()).getString("actual_output").trim();
    String look = """
        import os, socket
        files = [p for d in ["/work", "/tmp", "/dev/shm"] for p in os.listdir(d) if p != "main.py"]
        procs = [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]
        print(socket.gethostname(), files, procs)
        """;
    JsonObject r = single("python", look, "", host + " [] []", new JsonObject());
    assertEquals("OK", r.getString("verdict"), "both jobs ran in container " + host + ": " + r.encode());
  }

  @Test
  void hiddenTestsRevealNothing() {
    String code = "import sys\ns = input()\nprint(s)\nprint(s, file=sys.stderr)\nsys.exit(len(s))\n";
    JsonObject req = job("python", code, new JsonArray(), new JsonArray()
        .add(test("h1", "SECRET-INPUT-123", "SECRET-EXPECTED-456"))
        .add(test("h2", "SECRET-INPUT-789", "SECRET-EXPECTED-000")));
    HttpResponse<Buffer> r = post(req.toBuffer());
    assertEquals(200, r.statusCode());
    assertFalse(r.bodyAsString().contains("SECRET"), r.bodyAsString());
    JsonObject body = r.bodyAsJsonObject();
    assertEquals(2, body.getJsonObject("summary").getInteger("hidden_failed"));
    assertEquals("error", body.getJsonObject("execution").getString("status"));
    assertNull(body.getJsonObject("execution").getValue("exit_code"));
  }

  @Test
  void languagesAreListedWithHowTheyAreCompiledAndRun() {
    HttpResponse<Buffer> r = client.get("/languages").send().await();
    assertEquals(200, r.statusCode());
    JsonArray languages = r.bodyAsJsonObject().getJsonArray("languages");
    JsonObject python = null, c = null;
    for (int i = 0; i < languages.size(); i++) {
      JsonObject l = languages.getJsonObject(i);
      if (l.getString("id").equals("python")) python = l;
      if (l.getString("id").equals("c")) c = l;
    }
    assertNotNull(python, languages.encode());
    assertNotNull(c, languages.encode());
    assertEquals("python", python.getString("id"));
    assertTrue(python.getBoolean("function_tests"));
    assertEquals("main.py", python.getString("source_file"));
    assertEquals("c", c.getString("id"));
    assertFalse(c.getBoolean("function_tests"));
    assertEquals("/usr/bin/gcc", c.getJsonArray("compile").getString(0));
    assertEquals(new JsonArray().add("/work/main"), c.getJsonArray("run"));
  }

  @Test
  void everyLanguageShowsItsToolchainVersionFromItsImage() {
    HttpResponse<Buffer> r = client.get("/languages").send().await();
    assertEquals(200, r.statusCode());
    JsonArray languages = r.bodyAsJsonObject().getJsonArray("languages");
    assertEquals(node.config.languages().size(), languages.size());
    for (int i = 0; i < languages.size(); i++) {
      JsonObject l = languages.getJsonObject(i);
      String id = l.getString("id"), version = l.getString("version");
      assertNotNull(version, id + ": " + l.encode());
      assertFalse(version.isBlank() || version.contains("\n"), id + ": " + version);
      if (id.equals("c") || id.startsWith("cpp")) assertTrue(version.contains("12."), id + ": " + version);
      if (id.equals("java")) assertTrue(version.startsWith("javac 17"), version);
      if (id.equals("python")) assertTrue(version.startsWith("Python 3.11"), version);
      if (id.equals("py2")) assertTrue(version.startsWith("Python 2.7"), version);
      if (id.equals("javascript")) assertTrue(version.startsWith("v18."), version);
    }
  }

  @Test
  void healthAnswers() {
    HttpResponse<Buffer> r = client.get("/health").send().await();
    assertEquals(200, r.statusCode());
    assertEquals(new JsonArray().add("c").add("cpp11").add("cpp14").add("cpp17").add("cpp20").add("cs").add("go").add("hs")
        .add("java").add("javascript").add("lua").add("pas").add("py2").add("pypy3").add("python").add("rb").add("rust"),
        r.bodyAsJsonObject().getJsonArray("languages"));
    JsonObject h = r.bodyAsJsonObject();
    assertEquals("healthy", h.getString("status"), h.encode());
    assertTrue(h.getLong("uptime_seconds") >= 0 && h.getLong("jobs_completed") >= 0 && h.getInteger("current_jobs") >= 0, h.encode());
    assertTrue(h.getJsonObject("sandboxes").containsKey(TestEnvironment.image("python")), h.encode());
  }

  @Test
  void badRequestsGetA4xxNamingTheProblem() {
    String ok = "\"language\":\"python\",\"code\":\"print(1)\",\"tests\":{\"visible\":[{\"id\":\"a\",\"input\":\"\",\"expected_output\":\"1\"}]}";
    String[][] cases = {
        {"{", "400", "not valid JSON"},
        {"", "400", "empty"},
        {"[1,2]", "400", "must be a JSON object"},
        {"\"text\"", "400", "must be a JSON object"},
        {"{\"code\":\"print(1)\"}", "400", "language is required"},
        {"{\"language\":7,\"code\":\"x\"}", "400", "language must be a string"},
        {"{\"language\":\"cobol\",\"code\":\"x\"}", "400", "unknown language 'cobol'"},
        {"{\"language\":\"python\"}", "400", "code is required"},
        {"{\"language\":\"python\",\"code\":\"\"}", "400", "code must not be empty"},
        {"{\"language\":\"python\",\"code\":\"print(1)\"}", "400", "at least one"},
        {"{" + ok + ",\"timeout_seconds\":0.05}", "400", "timeout_seconds must be between 0.1 and 60"},
        {"{" + ok + ",\"timeout_seconds\":61}", "400", "timeout_seconds must be between 0.1 and 60"},
        {"{" + ok + ",\"checker\":\"float\"}", "400", "checker must be an object"},
        {"{" + ok + ",\"checker\":{}}", "400", "checker.type is required"},
        {"{" + ok + ",\"checker\":{\"type\":\"regex\"}}", "400", "checker.type must be one of lines, exact, tokens, float"},
        {"{" + ok + ",\"checker\":{\"type\":\"float\",\"abs_tol\":-1}}", "400", "checker.abs_tol must be between 0 and"},
        {"{" + ok + ",\"checker\":{\"type\":\"float\",\"rel_tol\":\"1e-6\"}}", "400", "checker.rel_tol must be a number"},
        {"{" + ok + ",\"checker\":{\"type\":\"tokens\",\"case_sensitive\":\"no\"}}", "400", "checker.case_sensitive must be a boolean"},
        {"{" + ok + ",\"timeout_seconds\":\"5\"}", "400", "timeout_seconds must be a number"},
        {"{" + ok + ",\"memory_limit_mb\":8}", "400", "memory_limit_mb must be between 16 and 1024"},
        {"{" + ok + ",\"memory_limit_mb\":4096}", "400", "memory_limit_mb must be between 16 and 1024"},
        {"{" + ok + ",\"memory_limit_mb\":64.5}", "400", "whole number"},
        {"{" + ok + ",\"entrypoint\":\"os.system\"}", "400", "entrypoint"},
        {"{\"language\":\"python\",\"code\":\"x\",\"tests\":[1]}", "400", "tests must be an object"},
        {"{\"language\":\"python\",\"code\":\"x\",\"tests\":{\"visible\":{}}}", "400", "tests.visible must be an array"},
        {"{\"language\":\"python\",\"code\":\"x\",\"tests\":{\"visible\":[5]}}", "400", "tests.visible[0] must be an object"},
        {"{\"language\":\"python\",\"code\":\"x\",\"tests\":{\"hidden\":[{\"id\":\"a\"}]}}", "400", "tests.hidden[0].expected_output is required"},
        {"{\"language\":\"python\",\"code\":\"x\",\"tests\":{\"visible\":[{\"id\":\"a\",\"expected_output\":\"1\"}],"
            + "\"hidden\":[{\"id\":\"a\",\"expected_output\":\"1\"}]}}", "400", "'a' is used by another test"},
        {"{\"language\":\"python\",\"code\":\"x\",\"tests\":{\"visible\":[{\"id\":[],\"expected_output\":\"1\"}]}}", "400", ".id must be"},
    };
    for (String[] c : cases) {
      HttpResponse<Buffer> r = post(Buffer.buffer(c[0]));
      assertEquals(Integer.parseInt(c[1]), r.statusCode(), c[0] + " -> " + r.bodyAsString());
      String error = r.bodyAsJsonObject().getString("error");
      assertNotNull(error, c[0]);
      assertTrue(error.contains(c[2]), c[0] + " -> " + error);
    }
  }

  @Test
  void oversizedAndNonUtf8BodiesAreRefused() {
    Buffer invalid = Buffer.buffer("{\"language\":\"python\",\"code\":\"print('").appendBytes(new byte[] {(byte) 0xC3, (byte) 0x28})
        .appendString("')\"}");
    HttpResponse<Buffer> r = post(invalid);
    assertEquals(400, r.statusCode());
    assertTrue(r.bodyAsJsonObject().getString("error").contains("UTF-8"));

    String bigCode = "#".repeat((1 << 20) + 1);
    r = post(job("python", bigCode, new JsonArray().add(test("a", "", "")), new JsonArray()).toBuffer());
    assertEquals(413, r.statusCode());
    assertTrue(r.bodyAsJsonObject().getString("error").contains("code is larger"));

    JsonArray many = new JsonArray();
    for (int i = 0; i < 1001; i++) many.add(test("t" + i, "", ""));
    r = post(job("python", "print()", many, new JsonArray()).toBuffer());
    assertEquals(413, r.statusCode());
    assertTrue(r.bodyAsJsonObject().getString("error").contains("too many tests"));

    r = post(job("python", "print()", new JsonArray().add(test("a", "x".repeat((16 << 20) + 1), "")), new JsonArray()).toBuffer());
    assertEquals(413, r.statusCode());
    assertTrue(r.bodyAsJsonObject().getString("error").contains("tests.visible[0].input is larger than 16 MB"), r.bodyAsString());

    r = post(Buffer.buffer(new byte[(int) dev.runner.jobs.Limits.MAX_BODY_BYTES + 1]));
    assertEquals(413, r.statusCode());
    assertNotNull(r.bodyAsJsonObject().getString("error"));

    r = client.get("/run").send().await();
    assertEquals(405, r.statusCode());
    assertNotNull(r.bodyAsJsonObject().getString("error"));
    r = client.get("/nope").send().await();
    assertEquals(404, r.statusCode());
    assertNotNull(r.bodyAsJsonObject().getString("error"));
  }
}
