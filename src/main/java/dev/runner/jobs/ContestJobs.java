package dev.runner.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import dev.runner.lang.Language;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * What the contest API (seed 003) sends the workers on the event bus, and what they answer: records
 * mapped by Vert.x's Jackson integration, in snake_case, as {@link JobRequest} is.
 */
public final class ContestJobs {
  private ContestJobs() {}

  /** What a sender allows for a run's worker to fetch its program and input set from other nodes, before its lease. */
  public static final long FETCH_MS = 60_000;

  /**
   * Compile {@code files} (plain names to sources; {@code main} names the one the compiler is given,
   * the others sit beside it) and store the program under {@code token}.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Compile(String id, String language, String token, String main, Map<String, String> files) {
    /** The longest it may hold a sandbox: the compile (or a syntax check, a checker's time), storing the program. */
    public long deadlineMs(Language lang) {
      return Limits.compileDeadlineMs(lang) + 15_000;
    }

    public JsonObject toJson() {
      return JsonObject.mapFrom(this);
    }
  }

  /** How a compile went: {@code error} (the compiler's output, capped) is null when it made a program. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Compiled(boolean ok, long compileTimeMs, String error) {}

  /**
   * Run the program of {@code token} on every case of the input set {@code inputHash}, with the
   * seed's limits (already checked by the API): CPU time, memory, stdout, file size and open files;
   * processes are always 1 (threads only).
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Run(String id, String language, String token, String inputHash, long timeLimitMs, long memoryLimitKb,
                    long outputLimitKb, long fileSizeLimitKb, int openFiles, boolean includeOutput, int cases) {
    public JsonObject toJson() {
      return JsonObject.mapFrom(this);
    }

    /** The memory limit in whole megabytes, rounded up (the sandbox is sized by the MB). */
    public int memoryMb() {
      return (int) ((memoryLimitKb + 1023) / 1024);
    }

    /** The wall-clock limit of a case: a sleeping program is cut at twice its CPU limit, plus a second. */
    public long wallLimitMs() {
      return 2 * timeLimitMs + 1_000;
    }

    /**
     * The longest the run may take once it has a sandbox: every case at its wall limit, plus the
     * program's set-up. Fetching the program and the inputs comes before: {@link #FETCH_MS}.
     */
    public long deadlineMs() {
      return cases * (wallLimitMs() + 1_000L) + 10_000;
    }
  }

  /**
   * One case's result, in the seed's shape; {@code outputHash} (md5 of stdout) for a case that exited
   * normally; {@code error}: why the runner could not judge it (status JE), else null.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record CaseResult(String name, String status, long timeMs, long wallTimeMs, long sysTimeMs, long memoryKb,
                           String outputHash, Integer exitCode, int signal, String output, Boolean outputTruncated, String error) {
    /** A case the runner could not judge: the sandbox failed under it, twice. */
    public static CaseResult judgeError(String name, String why) {
      return new CaseResult(name, "JE", 0, 0, 0, 0, null, null, 0, null, null, why);
    }
  }

  /** A run's answer: the cases' results in the input set's order. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  public record Results(List<CaseResult> results) {}
}
