package dev.runner.jobs;

/**
 * What judging one output decided: the verdict, why (null when accepted), and a checker program's
 * own message (null for the built-in comparisons).
 */
record Judgement(Verdict verdict, String error, String checkerMessage) {
  static final Judgement ACCEPTED = new Judgement(Verdict.OK, null, null);
  static final Judgement WRONG = new Judgement(Verdict.WA, "output differs from the expected output", null);
}
