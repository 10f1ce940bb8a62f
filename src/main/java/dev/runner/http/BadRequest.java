package dev.runner.http;

/** A request the API refuses, with the status and a message naming the problem. */
final class BadRequest extends RuntimeException {
  final int status;

  BadRequest(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  BadRequest(String message) {
    this(400, message);
  }
}
