package dev.runner.contest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.TestEnvironment;
import dev.runner.TestNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Seed 003's contest API on a real node: compile to a token, inputs stored by hash, a token run on
 * the stored inputs with the seed's statuses, limits and md5 output hashes.
 */
class ContestApiTest {
  private static TestNode node;
  static final String EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e";
  static final String SUM = "#include <cstdio>\nint main(){long a,b; if(scanf(\"%ld %ld\",&a,&b)!=2) return 0; printf(\"%ld\\n\",a+b);}";

  @BeforeAll
  static void start() {
    node = TestNode.start(TestEnvironment.node(1));
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  static HttpResponse<Buffer> post(TestNode on, String path, JsonObject body) {
    return on.client.post(path).sendJsonObject(body).await();
  }

  static JsonObject ok(HttpResponse<Buffer> r, int status) {
    assertEquals(status, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  static String compile(TestNode on, String lang, JsonObject files) {
    return ok(post(on, "/compile/", new JsonObject().put("lang", lang).put("code", files)), 200).getString("token");
  }

  /** Stores cases under a fresh hash and returns it. */
  static String input(TestNode on, String... inputs) {
    String hash = "h" + UUID.randomUUID().toString().replace("-", "");
    JsonArray cases = new JsonArray();
    for (int i = 0; i < inputs.length; i++) cases.add(new JsonObject().put("name", String.valueOf(i + 1)).put("input", inputs[i]));
    ok(post(on, "/input/", new JsonObject().put("hash", hash).put("cases", cases)), 201);
    return hash;
  }

  static JsonArray run(TestNode on, String token, String hash, JsonObject limits) {
    JsonObject body = new JsonObject().put("token", token).put("input_hash", hash).mergeIn(limits);
    return ok(post(on, "/run/", body), 200).getJsonArray("results");
  }

  static String md5(String s) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void anAsynchronousCompileAndRunStreamsEachCaseAndKeepsItsResult() throws Exception {
    String hash = input(node, "1 2", "20 22", "x");
    JsonObject job = new JsonObject().put("lang", "cpp17").put("code", new JsonObject().put("main.cpp", SUM + "\n// " + UUID.randomUUID()))
        .put("input_hash", hash).put("time_limit_ms", 1000);
    String id = ok(post(node, "/jobs", job), 202).getString("id");
    List<JsonObject> events = node.events(id);
    assertEquals(List.of("accepted", "compiled", "test", "test", "test", "done"), events.stream().map(e -> e.getString("type")).toList(),
        events.toString());
    assertEquals(64, events.get(1).getJsonObject("compile").getString("token").length(), events.toString());
    assertEquals(md5("42\n"), events.get(3).getJsonObject("case").getString("output_hash"), events.toString());
    JsonObject done = events.get(5);
    assertEquals(200, done.getInteger("status"), done.encode());
    assertEquals(3, done.getJsonObject("summary").getInteger("OK"), done.encode());
    JsonObject record = node.client.get("/jobs/" + id).send().await().bodyAsJsonObject();
    assertEquals("done", record.getString("state"), record.encode());
    assertEquals(3, record.getJsonObject("result").getJsonArray("results").size(), record.encode());

    // A compile error is the job's result (422, as POST /compile/ answers); a wrong request is a 4xx at once.
    String broken = ok(post(node, "/jobs", job.copy().put("code", new JsonObject().put("main.cpp", "int main() { nope; }"))), 202)
        .getString("id");
    List<JsonObject> failed = node.events(broken);
    assertEquals("compile_error", failed.get(1).getString("type"), failed.toString());
    assertEquals(422, failed.get(2).getInteger("status"), failed.toString());
    JsonObject unknown = ok(post(node, "/jobs", job.copy().put("lang", "cobol")), 400);
    assertTrue(unknown.getString("error").contains("cobol"), unknown.encode());
    ok(post(node, "/jobs", job.copy().put("time_limit_ms", -1)), 400);
  }

  @Test
  void compileOnceRunOnCachedInputsWithOutputHashes() throws Exception {
    JsonObject files = new JsonObject().put("main.cpp", SUM + "\n// " + UUID.randomUUID()); // never compiled before
    JsonObject first = ok(post(node, "/compile/", new JsonObject().put("lang", "cpp17").put("code", files)), 200);
    assertFalse(first.getBoolean("cached"));
    assertTrue(first.getLong("compile_time_ms") > 0, first.encode());
    JsonObject again = ok(post(node, "/compile", new JsonObject().put("lang", "cpp17").put("code", files)), 200);
    assertEquals(first.getString("token"), again.getString("token"));
    assertTrue(again.getBoolean("cached"));
    assertEquals(first.getLong("compile_time_ms"), again.getLong("compile_time_ms"));
    // Another standard is another program: another token.
    assertNotEquals(first.getString("token"), compile(node, "cpp14", files));

    String hash = input(node, "1 2", "40 2", "");
    JsonObject described = ok(node.client.get("/input/" + hash).send().await(), 200);
    assertEquals(new JsonArray().add("1").add("2").add("3"), described.getJsonArray("cases"));
    assertEquals(7, described.getLong("bytes"));

    JsonArray results = run(node, first.getString("token"), hash, new JsonObject().put("include_output", true));
    assertEquals(3, results.size());
    assertEquals(md5("3\n"), results.getJsonObject(0).getString("output_hash"));
    assertEquals(md5("42\n"), results.getJsonObject(1).getString("output_hash"));
    assertEquals(EMPTY_MD5, results.getJsonObject(2).getString("output_hash"));
    for (int i = 0; i < 3; i++) {
      JsonObject r = results.getJsonObject(i);
      assertEquals(String.valueOf(i + 1), r.getString("name"));
      assertEquals("OK", r.getString("status"), r.encode());
      assertEquals(0, r.getInteger("exit_code"));
      assertTrue(r.getLong("memory_kb") > 0 && r.containsKey("time_ms") && r.containsKey("wall_time_ms") && r.containsKey("sys_time_ms"));
    }
    assertEquals("42\n", results.getJsonObject(1).getString("output"));
    assertNull(run(node, first.getString("token"), hash, new JsonObject()).getJsonObject(0).getString("output"), "output only when asked");
  }

  /** The interview API's compiled jobs share the cache: the same code in the same language is compiled once. */
  @Test
  void theInterviewApiSharesTheCompileCache() {
    String code = SUM + "\n// " + UUID.randomUUID();
    JsonObject contest = ok(post(node, "/compile/", new JsonObject().put("lang", "cpp17").put("code", new JsonObject().put("main.cpp", code))), 200);
    JsonObject first = node.run("cpp17", code, new JsonObject(), TestNode.test("1 2", "3"));
    assertEquals("OK", first.getJsonObject("execution").getString("verdict"), first.encode());
    assertEquals(contest.getLong("compile_time_ms"), first.getJsonObject("compile").getLong("time_ms"), "the contest's program, not a new compile");

    String other = SUM + "\n// " + UUID.randomUUID();
    JsonObject interview = node.run("cpp", other, new JsonObject(), TestNode.test("1 2", "3"));
    JsonObject compiled = ok(post(node, "/compile/", new JsonObject().put("lang", "cpp17").put("code", new JsonObject().put("solution.cpp", other))), 200);
    assertTrue(compiled.getBoolean("cached"), "the interview job's program is the contest's too (a file's name does not matter alone)");
    assertEquals(interview.getJsonObject("compile").getLong("time_ms"), compiled.getLong("compile_time_ms"));
  }

  @Test
  void compileErrorIs422WithTheCompilersMessage() {
    JsonObject r = ok(post(node, "/compile/", new JsonObject().put("lang", "cpp17").put("code",
        new JsonObject().put("main.cpp", "int main() { return 0 }"))), 422);
    assertTrue(r.getString("error").contains("main.cpp:1:22: error: expected"), r.encode());
    assertTrue(r.containsKey("compile_time_ms"));
  }

  @Test
  void everyStatus() {
    String hash = input(node, "x");
    JsonObject limits = new JsonObject().put("time_limit_ms", 500).put("memory_limit_kb", 64 << 10).put("output_limit_kb", 64);
    String[][] programs = {
        {"TLE", "int main(){ for(;;); }"},
        {"TLE", "#include <unistd.h>\nint main(){ sleep(30); }"},
        {"MLE", "#include <cstdlib>\n#include <cstring>\nint main(){ for(;;){ char*p=(char*)malloc(1<<20); memset(p,1,1<<20);} }"},
        {"RTE", "int main(){ return 3; }"},
        {"RTE", "int main(){ volatile int*p=0; *p=1; }"},
        {"OLE", "#include <cstdio>\nint main(){ for(;;) puts(\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"); }"},
        // processes 1: a fork fails, and what the program makes of that is its verdict
        {"RTE", "#include <unistd.h>\nint main(){ return fork() < 0 ? 7 : 0; }"},
        {"OK", "#include <thread>\nint main(){ std::thread t([]{}); t.join(); }"},
    };
    for (String[] p : programs) {
      String token = compile(node, "cpp17", new JsonObject().put("main.cpp", p[1]));
      JsonObject r = run(node, token, hash, limits).getJsonObject(0);
      assertEquals(p[0], r.getString("status"), p[1] + " -> " + r.encode());
      if (p[0].equals("OK")) assertEquals(EMPTY_MD5, r.getString("output_hash"));
      else assertNull(r.getString("output_hash"), r.encode());
    }
    JsonObject forked = run(node, compile(node, "cpp17", new JsonObject().put("main.cpp", programs[6][1])), hash, limits).getJsonObject(0);
    assertEquals(7, forked.getInteger("exit_code"), forked.encode());
    // file_size_limit_kb: a file written past it ends the program (SIGXFSZ)
    String writer = compile(node, "cpp17", new JsonObject().put("main.cpp",
        "#include <cstdio>\nint main(){ FILE*f=fopen(\"big\",\"w\"); for(int i=0;i<(1<<20);i++) fputc('x',f); fclose(f); }"));
    JsonObject small = run(node, writer, hash, limits.copy().put("file_size_limit_kb", 64)).getJsonObject(0);
    assertEquals("RTE", small.getString("status"), small.encode());
    assertEquals(25, small.getInteger("signal"), small.encode());
    assertEquals("OK", run(node, writer, hash, limits.copy().put("file_size_limit_kb", 2048)).getJsonObject(0).getString("status"));
  }

  /** open_files bounds the descriptors: the program's own, beyond the 32 the runtime may hold (stdin, stdout, stderr here). */
  @Test
  void openFilesAreLimited() throws Exception {
    String token = compile(node, "c", new JsonObject().put("main.c",
        "#include <stdio.h>\n#include <fcntl.h>\nint main(void){int n=0; while(open(\"/dev/null\", O_RDONLY)>=0) n++; printf(\"%d\\n\", n); return 0;}"));
    String hash = input(node, "");
    for (int open : new int[] {1, 20, 50}) {
      JsonObject r = run(node, token, hash, new JsonObject().put("open_files", open).put("include_output", true)).getJsonObject(0);
      assertEquals((open + 32 - 3) + "\n", r.getString("output"), r.encode());
    }
  }

  @Test
  void interpretedAndMultiFileSubmissions() throws Exception {
    String hash = input(node, "5\n");
    String py = compile(node, "python", new JsonObject().put("main.py", "n = int(input())\nprint(n * 2)\n"));
    assertEquals(md5("10\n"), run(node, py, hash, new JsonObject()).getJsonObject(0).getString("output_hash"));
    JsonObject pyError = ok(post(node, "/compile/", new JsonObject().put("lang", "py3").put("code", new JsonObject().put("a.py", "def (:"))), 422);
    assertTrue(pyError.getString("error").contains("SyntaxError"), pyError.encode());

    String header = compile(node, "cpp17", new JsonObject().put("main.cpp", "#include \"twice.h\"\n#include <cstdio>\nint main(){int n; scanf(\"%d\",&n); printf(\"%d\\n\", twice(n));}")
        .put("twice.h", "inline int twice(int n) { return 2 * n; }"));
    assertEquals(md5("10\n"), run(node, header, hash, new JsonObject()).getJsonObject(0).getString("output_hash"));

    String java = compile(node, "java", new JsonObject()
        .put("Main.java", "import java.util.*;\npublic class Main { public static void main(String[] a) { System.out.println(Helper.twice(new Scanner(System.in).nextInt())); } }")
        .put("Helper.java", "public class Helper { static int twice(int n) { return 2 * n; } }"));
    JsonObject r = run(node, java, hash, new JsonObject()).getJsonObject(0);
    assertEquals("OK", r.getString("status"), r.encode());
    assertEquals(md5("10\n"), r.getString("output_hash"));
  }

  @Test
  void inputsAreStoredOnceByHash() {
    String hash = "set-" + UUID.randomUUID();
    JsonObject body = new JsonObject().put("hash", hash).put("cases", new JsonArray().add(new JsonObject().put("name", "a").put("input", "1")));
    ok(post(node, "/input/", body), 201);
    ok(post(node, "/input", body), 200);
    JsonObject other = body.copy().put("cases", new JsonArray().add(new JsonObject().put("name", "a").put("input", "2")));
    assertTrue(ok(post(node, "/input/", other), 409).getString("error").contains(hash));
    JsonObject missing = ok(node.client.get("/input/nothing-" + UUID.randomUUID().toString().substring(0, 8)).send().await(), 404);
    assertEquals("input", missing.getString("missing"));
  }

  @Test
  void unknownTokensAndInputsAre404NamingWhich() {
    String hash = input(node, "1 2");
    JsonObject r = ok(post(node, "/run/", new JsonObject().put("token", "0".repeat(64)).put("input_hash", hash)), 404);
    assertEquals("token", r.getString("missing"));
    String token = compile(node, "cpp17", new JsonObject().put("main.cpp", SUM));
    r = ok(post(node, "/run/", new JsonObject().put("token", token).put("input_hash", "never-uploaded")), 404);
    assertEquals("input", r.getString("missing"));
  }

  @Test
  void badRequestsNameTheField() {
    String[][] compiles = {
        {"{\"code\": {\"main.cpp\": \"\"}}", "lang"},
        {"{\"lang\": \"cobol\", \"code\": {\"main.cpp\": \"\"}}", "unknown lang"},
        {"{\"lang\": \"cpp17\", \"code\": \"int main(){}\"}", "code must be an object"},
        {"{\"lang\": \"cpp17\", \"code\": {}}", "no file"},
        {"{\"lang\": \"cpp17\", \"code\": {\"../etc/passwd\": \"x\"}}", "plain file name"},
        {"{\"lang\": \"cpp17\", \"code\": {\"a/b.cpp\": \"x\"}}", "plain file name"},
        {"{\"lang\": \"cpp17\", \"code\": {\"main.cpp\": 5}}", "code.main.cpp must be a string"},
        {"{\"lang\": \"cpp17\", \"code\": {\"a.cpp\": \"\", \"b.cpp\": \"\"}}", "one must be main.cpp"},
        {"{\"lang\": \"python\", \"code\": {\"a.py\": \"\", \"b.py\": \"\"}}", "one file"},
        {"{\"lang\": \"cpp17\", \"code\": {\"main.cpp\": \"\"}, \"flags\": 1}", "unknown field flags"},
        {"[1]", "JSON object"},
        {"{", "not valid JSON"},
    };
    for (String[] c : compiles) {
      HttpResponse<Buffer> r = node.client.post("/compile/").sendBuffer(Buffer.buffer(c[0])).await();
      assertEquals(400, r.statusCode(), c[0] + " -> " + r.bodyAsString());
      assertTrue(r.bodyAsJsonObject().getString("error").contains(c[1]), c[0] + " -> " + r.bodyAsString());
    }
    String token = compile(node, "cpp17", new JsonObject().put("main.cpp", SUM));
    String hash = input(node, "1 2");
    JsonObject base = new JsonObject().put("token", token).put("input_hash", hash);
    Object[][] runs = {
        {"time_limit_ms", 0}, {"time_limit_ms", 60_001}, {"time_limit_ms", "1000"}, {"time_limit_ms", 1.5},
        {"memory_limit_kb", 1024}, {"memory_limit_kb", (1 << 20) + 1}, {"output_limit_kb", 262_145},
        {"file_size_limit_kb", 262_145}, {"open_files", 51}, {"processes", 2}, {"include_output", "yes"}, {"tme_limit_ms", 5},
    };
    for (Object[] f : runs) {
      JsonObject r = ok(post(node, "/run/", base.copy().put((String) f[0], f[1])), 400);
      assertTrue(r.getString("error").contains((String) f[0]), f[0] + "=" + f[1] + " -> " + r.encode());
    }
    assertTrue(ok(post(node, "/run/", base.copy().put("token", "abc")), 400).getString("error").contains("token"));
    assertTrue(ok(post(node, "/input/", new JsonObject().put("hash", "a/b").put("cases", new JsonArray())), 400).getString("error").contains("hash"));
    assertTrue(ok(post(node, "/input/", new JsonObject().put("hash", "ok").put("cases", new JsonArray()
        .add(new JsonObject().put("name", "1").put("input", "")).add(new JsonObject().put("name", "1").put("input", "")))), 400)
        .getString("error").contains("twice"));
  }
}
