package dev.runner.jobs;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * How a compiled language's compile step went: its wall time, the compiler's output (capped; {@code
 * outputTruncated} says so) and, when it failed, why ("compilation failed", "compilation timed out
 * (15 s)", ...).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CompileOutcome(boolean ok, long timeMs, String output, boolean outputTruncated, String error, String artifactSha256) {
  /** {@code artifactSha256}: the program's content address (null for a syntax check, which makes none). */
  static CompileOutcome ok(long timeMs, String output, boolean truncated, String artifactSha256) {
    return new CompileOutcome(true, timeMs, output, truncated, null, artifactSha256);
  }

  static CompileOutcome failed(long timeMs, String output, boolean truncated, String error) {
    return new CompileOutcome(false, timeMs, output, truncated, error, null);
  }
}
