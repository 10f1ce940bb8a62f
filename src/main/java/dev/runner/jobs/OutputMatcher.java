package dev.runner.jobs;

/** Compares a program's output with the expected one, ignoring trailing whitespace on lines and at the end. */
public final class OutputMatcher {
  private OutputMatcher() {}

  public static boolean matches(String actual, String expected) {
    return normalize(actual).equals(normalize(expected));
  }

  static String normalize(String text) {
    String[] lines = text.split("\n", -1);
    StringBuilder b = new StringBuilder(text.length());
    for (String line : lines) b.append(line.stripTrailing()).append('\n');
    int end = b.length();
    while (end > 0 && Character.isWhitespace(b.charAt(end - 1))) end--;
    return b.substring(0, end);
  }
}
