package dev.runner.jobs;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/** Judges the output of a test whose program exited normally: a comparison here, or a checker program. */
interface OutputCheck {
  Future<Judgement> check(TestCase test, Buffer output);

  static OutputCheck of(Checker.Comparison comparison) {
    return (test, output) -> Future.succeededFuture(
        comparison.accepts(output.toString(StandardCharsets.UTF_8), test.expectedOutput()) ? Judgement.ACCEPTED : Judgement.WRONG);
  }
}
