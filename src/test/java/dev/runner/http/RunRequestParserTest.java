package dev.runner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.jobs.JobRequest;
import dev.runner.lang.Language;
import dev.runner.lang.Languages;
import io.vertx.core.buffer.Buffer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunRequestParserTest {
  /** The languages as the repository defines them (the tests run in the checkout). */
  private static final Map<String, Language> LANGUAGES = Languages.load(Path.of("containers"));

  private final RunRequestParser parser = new RunRequestParser(LANGUAGES, 600);

  private JobRequest parse(String json) {
    return parser.parse(Buffer.buffer(json));
  }

  @Test
  void defaultsAreTheSeeds() {
    JobRequest job = parse("{\"language\":\"python\",\"code\":\"x\",\"tests\":{\"visible\":[{\"input\":\"1\",\"expected_output\":\"1\"}]}}");
    assertEquals(5000, job.timeoutMs());
    assertEquals(256, job.memoryMb());
    assertNull(job.entrypoint());
    assertEquals("test_1", job.tests().get(0).id());
  }

  @Test
  void theSeedsOtherTestSpellingAndJsonValuedTestsAreAccepted() {
    JobRequest job = parse("{\"language\":\"javascript\",\"code\":\"x\",\"timeout_seconds\":2.5,\"memory_limit_mb\":64,"
        + "\"visible_tests\":[{\"id\":7,\"input\":[1,[2,3]],\"expected_output\":6}],"
        + "\"hidden_tests\":[{\"id\":\"h\",\"input\":\"0\",\"expected_output\":\"1\",\"description\":\"edge\"}]}");
    assertEquals(2500, job.timeoutMs());
    assertEquals(64, job.memoryMb());
    assertEquals(2, job.tests().size());
    assertEquals("7", job.tests().get(0).id());
    assertEquals("[1,[2,3]]", job.tests().get(0).input());
    assertEquals("6", job.tests().get(0).expectedOutput());
    assertTrue(job.tests().get(1).hidden());
    assertEquals("edge", job.tests().get(1).description());
  }

  @Test
  void problemsAreNamed() {
    BadRequest e = assertThrows(BadRequest.class, () -> parse("{\"language\":\"python\",\"code\":\"x\",\"tests\":{\"visible\":"
        + "[{\"id\":\"a\",\"expected_output\":\"1\",\"description\":5}]}}"));
    assertEquals(400, e.status);
    assertTrue(e.getMessage().contains("tests.visible[0].description must be a string"), e.getMessage());
    e = assertThrows(BadRequest.class, () -> parse("{\"language\":\"python\",\"code\":\"x\",\"tests\":{\"visible\":"
        + "[{\"id\":\"a\",\"input\":null,\"expected_output\":\"1\"}]}}"));
    assertTrue(e.getMessage().contains("tests.visible[0].input is required"), e.getMessage());
    e = assertThrows(BadRequest.class, () -> parse("{\"language\":\"python\",\"code\":\"x\",\"timeout_seconds\":true}"));
    assertTrue(e.getMessage().contains("timeout_seconds must be a number, got a boolean"), e.getMessage());
    e = assertThrows(BadRequest.class, () -> parse("[" .repeat(5000)));
    assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
  }

  private static String job(String language, String extra, String tests) {
    return "{\"language\":\"" + language + "\",\"code\":\"x\"" + extra + "," + tests + "}";
  }

  @Test
  void aMemoryLimitBelowTheLanguagesMinimumIsRefused() {
    String tests = "\"tests\":{\"visible\":[{\"input\":\"1\",\"expected_output\":\"1\"}]}";
    BadRequest e = assertThrows(BadRequest.class, () -> parse(job("javascript", ",\"memory_limit_mb\":24", tests)));
    assertEquals(400, e.status);
    assertEquals("memory_limit_mb must be at least 48 for javascript, got 24", e.getMessage());
    assertEquals(48, parse(job("javascript", ",\"memory_limit_mb\":48", tests)).memoryMb());
    assertEquals(16, parse(job("python", ",\"memory_limit_mb\":16", tests)).memoryMb());
    e = assertThrows(BadRequest.class, () -> parse(job("python", ",\"memory_limit_mb\":15", tests)));
    assertTrue(e.getMessage().contains("memory_limit_mb must be between 16 and 1024"), e.getMessage());
  }

  @Test
  void aJobsWorstCaseTimeIsBounded() {
    StringBuilder many = new StringBuilder("\"visible_tests\":[");
    for (int i = 0; i < 1000; i++) many.append(i == 0 ? "" : ",").append("{\"expected_output\":\"\"}");
    String thousand = many.append("]").toString();
    BadRequest e = assertThrows(BadRequest.class, () -> parse(job("python", ",\"timeout_seconds\":60", thousand)));
    assertEquals(400, e.status);
    assertEquals("the job could take up to 60000 s (1000 tests × 60 s); at most 600 s is allowed: fewer tests or a lower "
        + "timeout_seconds", e.getMessage());
    // 1000 × 0.6 s is not a valid timeout, but 120 × 5 s = 600 s is exactly the bound.
    StringBuilder some = new StringBuilder("\"tests\":{\"hidden\":[");
    for (int i = 0; i < 120; i++) some.append(i == 0 ? "" : ",").append("{\"expected_output\":\"\"}");
    String hundredTwenty = some.append("]}").toString();
    assertEquals(120, parse(job("python", "", hundredTwenty)).tests().size());
    e = assertThrows(BadRequest.class, () -> parse(job("python", ",\"timeout_seconds\":5.5", hundredTwenty)));
    assertTrue(e.getMessage().startsWith("the job could take up to 660 s (120 tests × 5.5 s); at most 600 s"), e.getMessage());
    RunRequestParser strict = new RunRequestParser(Map.of("python", LANGUAGES.get("python")), 10);
    e = assertThrows(BadRequest.class, () -> strict.parse(Buffer.buffer(job("python", ",\"timeout_seconds\":11",
        "\"tests\":{\"visible\":[{\"expected_output\":\"\"}]}"))));
    assertEquals("the job could take up to 11 s (1 test × 11 s); at most 10 s is allowed: fewer tests or a lower timeout_seconds",
        e.getMessage());
  }

  @Test
  void nonStringTestValuesAreTheirJsonTextAsSent() {
    String tests = "\"tests\":{\"visible\":[{\"input\":1e999,\"expected_output\":1e2},"
        + "{\"input\" : [1, 2] , \"expected_output\":\"3\"}],"
        + "\"hidden\":[{\"input\":{\"a\":1e2, \"b\": [true,null, {\"c\":\"}]\\\"\"}]},\"expected_output\":-0.0},"
        + "{\"input\":true,\"expected_output\":false}]}";
    JobRequest job = parse(job("python", "", tests));
    assertEquals("1e999", job.tests().get(0).input());
    assertEquals("1e2", job.tests().get(0).expectedOutput());
    assertEquals("[1, 2]", job.tests().get(1).input());
    assertEquals("3", job.tests().get(1).expectedOutput());
    assertEquals("{\"a\":1e2, \"b\": [true,null, {\"c\":\"}]\\\"\"}]}", job.tests().get(2).input());
    assertEquals("-0.0", job.tests().get(2).expectedOutput());
    assertEquals("true", job.tests().get(3).input());
    assertEquals("false", job.tests().get(3).expectedOutput());

    // The other spelling, whitespace around values, and a later duplicate key winning as in JsonObject.
    job = parse("{\"language\":\"python\",\"code\":\"x\",\n \"visible_tests\": [ {\"input\":\n 1.50 \n,"
        + "\"expected_output\":[ ]} ], \"hidden_tests\":[{\"input\":1,\"input\":[1E+2,\t2],\"expected_output\":{}}]}");
    assertEquals("1.50", job.tests().get(0).input());
    assertEquals("[ ]", job.tests().get(0).expectedOutput());
    assertEquals("[1E+2,\t2]", job.tests().get(1).input());
    assertEquals("{}", job.tests().get(1).expectedOutput());
    assertTrue(job.tests().get(1).hidden());

    // Multi-byte text before and inside a value: offsets are bytes, the text is UTF-8.
    job = parse("{\"language\":\"python\",\"code\":\"é€😀\",\"tests\":{\"visible\":[{\"input\":[\"ü\", 1e2],"
        + "\"expected_output\":\"ok\"}]}}");
    assertEquals("[\"ü\", 1e2]", job.tests().get(0).input());
  }
}
