package dev.runner.lang;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How one language's submission is stored and run inside its image. A job is first probed once
 * (syntax check and function detection, without running the submission), then each test runs either
 * the program itself or the call harness that invokes one function (see containers/LANG/harness).
 */
public record Language(String name, String file, List<String> interpreter, String harnessExtension,
                       Pattern identifier, String outOfMemoryMarker) {

  public static final Map<String, Language> ALL = Map.of(
      "python", new Language("python", "main.py", List.of("/usr/bin/python3"), "py",
          Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}"), "MemoryError"),
      "javascript", new Language("javascript", "main.js", List.of("/usr/bin/node"), "js",
          Pattern.compile("[A-Za-z_$][A-Za-z0-9_$]{0,127}"), "JavaScript heap out of memory"));

  private static final String WORK = "/work/";
  private static final String HARNESS = "/opt/runner/";

  public List<String> probe(String entrypoint) {
    return command(HARNESS + "probe." + harnessExtension, WORK + file, entrypoint == null ? "" : entrypoint);
  }

  public List<String> program() {
    return command(WORK + file);
  }

  /** {@code target} is a function name, or "exports" for a JavaScript module.exports. */
  public List<String> call(String target) {
    return command(HARNESS + "call." + harnessExtension, WORK + file, target);
  }

  private List<String> command(String... args) {
    return java.util.stream.Stream.concat(interpreter.stream(), java.util.Arrays.stream(args)).toList();
  }
}
