package dev.runner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.runner.jobs.JobRequest;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunRequestParserTest {
  private final RunRequestParser parser = new RunRequestParser(List.of("javascript", "python"));

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
}
