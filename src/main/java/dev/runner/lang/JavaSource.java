package dev.runner.lang;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a Java submission goes and what runs it: javac wants a public top-level class in a file of its
 * name (else any name does: Main.java), and the class to run is the one declaring {@code main},
 * qualified by the package line if there is one. Read from the source with comments removed; good
 * enough for contest code, and a guess that is wrong is a compile or run error of the submission.
 */
final class JavaSource {
  private static final Pattern COMMENTS = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);
  private static final Pattern PUBLIC_TYPE = Pattern.compile(
      "(?m)^\\s*public\\s+(?:(?:final|abstract|strictfp|sealed|non-sealed)\\s+)*(?:class|record|enum|interface)\\s+([A-Za-z_$][\\w$]*)");
  private static final Pattern TYPE = Pattern.compile("\\b(?:class|record|enum|interface)\\s+([A-Za-z_$][\\w$]*)");
  private static final Pattern MAIN = Pattern.compile("\\bstatic\\s+(?:final\\s+)?void\\s+main\\s*\\(");
  private static final Pattern PACKAGE = Pattern.compile("(?m)^\\s*package\\s+([A-Za-z_$][\\w$.]*)\\s*;");

  private JavaSource() {}

  static String fileName(String code) {
    Matcher m = PUBLIC_TYPE.matcher(strip(code));
    return (m.find() ? m.group(1) : "Main") + ".java";
  }

  static String mainClass(String code) {
    String source = strip(code);
    Matcher main = MAIN.matcher(source);
    int at = main.find() ? main.start() : source.length();
    String name = "Main";
    Matcher type = TYPE.matcher(source);
    while (type.find() && type.start() < at) name = type.group(1);
    Matcher pkg = PACKAGE.matcher(source);
    return pkg.find() ? pkg.group(1) + "." + name : name;
  }

  private static String strip(String code) {
    return COMMENTS.matcher(code).replaceAll(" ");
  }
}
