package dev.runner.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** Plain TCP clients for what a well-behaved HTTP client never does: stall, trickle, vanish. */
final class RawHttp {
  private RawHttp() {}

  static Socket open(int port, String sent) {
    try {
      Socket s = new Socket("127.0.0.1", port);
      s.setSoTimeout(20_000);
      if (!sent.isEmpty()) send(s, sent.getBytes(StandardCharsets.ISO_8859_1));
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void send(Socket s, byte[] bytes) {
    try {
      s.getOutputStream().write(bytes);
      s.getOutputStream().flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Everything the server sends until it closes the connection (a reset counts as closing). */
  static String readToEnd(Socket s) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      InputStream in = s.getInputStream();
      byte[] buf = new byte[8192];
      for (int n; (n = in.read(buf)) >= 0; ) out.write(buf, 0, n);
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server kept the connection open; it sent: " + out.toString(StandardCharsets.UTF_8));
    } catch (SocketException e) {
      // reset by the server: closed
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** One response (headers and a Content-Length body), leaving the connection open. */
  static String readResponse(Socket s) {
    try {
      InputStream in = s.getInputStream();
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        int c = in.read();
        if (c < 0) throw new AssertionError("the server closed the connection mid-response: " + head);
        head.append((char) c);
      }
      int length = 0;
      for (String line : head.toString().split("\r\n")) {
        if (line.toLowerCase().startsWith("content-length:")) length = Integer.parseInt(line.substring(15).trim());
      }
      return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String post(String body, long contentLength) {
    return "POST /run HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: " + contentLength
        + "\r\n\r\n" + body;
  }

  static void close(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
