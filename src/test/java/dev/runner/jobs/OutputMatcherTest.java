package dev.runner.jobs;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OutputMatcherTest {
  @Test
  void trailingWhitespaceOnLinesAndAtTheEndIsIgnored() {
    assertTrue(OutputMatcher.matches("1 2  \n3\t\r\n\n\n", "1 2\n3"));
    assertTrue(OutputMatcher.matches("", "\n  \n"));
    assertTrue(OutputMatcher.matches("120\n", "120"));
  }

  @Test
  void everythingElseCounts() {
    assertFalse(OutputMatcher.matches(" 120", "120"));
    assertFalse(OutputMatcher.matches("1\n\n2", "1\n2"));
    assertFalse(OutputMatcher.matches("1 2", "1  2"));
    assertFalse(OutputMatcher.matches("12", "120"));
    assertFalse(OutputMatcher.matches("", "0"));
  }
}
