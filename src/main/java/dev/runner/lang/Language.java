package dev.runner.lang;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * How one language's submission is stored and run inside its image, through the harness baked
 * into it (containers/LANG/harness/run.*). {@code minMemoryMb} is the smallest memory limit a job
 * may ask for: below it the runtime itself cannot start without thrashing (measured, see the README).
 */
public record Language(String name, String file, List<String> interpreter, String harnessExtension,
                       Pattern identifier, String outOfMemoryMarker, int minMemoryMb) {

  public static final Map<String, Language> ALL = Map.of(
      "python", new Language("python", "main.py", List.of("/usr/bin/python3"), "py",
          Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}"), "MemoryError", 16),
      "javascript", new Language("javascript", "main.js", List.of("/usr/bin/node"), "js",
          Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]{0,127}"), "JavaScript heap out of memory", 48));

  private static final String HARNESS = "/opt/runner/run.";

  /**
   * The command of one test: the harness runs the submission as a program or calls one function.
   * A job's first test runs in mode "detect" (or "detect ENTRYPOINT"), which also reports on fd 3
   * the mode ("program", "function NAME", "exports") or "CE"; the later tests run in that mode.
   */
  public List<String> run(String mode) {
    return Stream.concat(interpreter.stream(), Stream.of(HARNESS + harnessExtension, "/work/" + file, mode)).toList();
  }

  /** The mode of a job's first test. */
  public static String detect(String entrypoint) {
    return entrypoint == null ? "detect" : "detect " + entrypoint;
  }

  /** Whether a mode reported by the detection is one this language's harness runs. */
  public boolean runs(String mode) {
    if (mode.equals("program") || mode.equals("exports")) return true;
    return mode.startsWith("function ") && identifier.matcher(mode.substring("function ".length())).matches();
  }
}
