package dev.runner.jobs;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** One test of a job. Its expected output stays in the service: it never enters a sandbox. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TestCase(String id, boolean hidden, String input, String expectedOutput, String description) {}
