package dev.runner.cache;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A file channel as a Vert.x stream, each chunk read on a worker thread. Vert.x's own AsyncFile
 * cannot be opened without following links; this reads a channel opened with NOFOLLOW_LINKS. Used
 * from one context (the pipe's); closes the channel at its end, on an error, or on {@link #close()}.
 */
final class FileReadStream implements ReadStream<Buffer> {
  private static final int CHUNK = 1 << 20; // a worker-thread hop per MB, not per 64 KB: fetches ran at 56 MB/s

  private final Vertx vertx;
  private final FileChannel channel;
  private Handler<Buffer> handler;
  private Handler<Void> endHandler;
  private Handler<Throwable> exceptionHandler;
  private long demand = Long.MAX_VALUE;
  private boolean reading;
  private boolean done;

  FileReadStream(Vertx vertx, FileChannel channel) {
    this.vertx = vertx;
    this.channel = channel;
  }

  @Override
  public FileReadStream exceptionHandler(Handler<Throwable> h) {
    exceptionHandler = h;
    return this;
  }

  @Override
  public FileReadStream handler(Handler<Buffer> h) {
    handler = h;
    read();
    return this;
  }

  @Override
  public FileReadStream pause() {
    demand = 0;
    return this;
  }

  @Override
  public FileReadStream resume() {
    return fetch(Long.MAX_VALUE);
  }

  @Override
  public FileReadStream fetch(long amount) {
    demand = demand + amount < 0 ? Long.MAX_VALUE : demand + amount;
    read();
    return this;
  }

  @Override
  public FileReadStream endHandler(Handler<Void> h) {
    endHandler = h;
    return this;
  }

  void close() {
    done = true;
    try {
      channel.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
  }

  private void read() {
    if (reading || done || demand == 0 || handler == null) return;
    reading = true;
    // unordered: this stream has one read at a time anyway, and other streams need not queue behind it
    vertx.executeBlocking(() -> {
      ByteBuffer b = ByteBuffer.allocate(CHUNK);
      if (channel.read(b) < 0) return null;
      b.flip();
      byte[] chunk = new byte[b.remaining()];
      b.get(chunk);
      return Buffer.buffer(chunk);
    }, false).onComplete(ar -> {
      reading = false;
      if (done) return;
      if (ar.failed()) {
        close();
        if (exceptionHandler != null) exceptionHandler.handle(ar.cause());
      } else if (ar.result() == null) {
        close();
        if (endHandler != null) endHandler.handle(null);
      } else {
        if (demand != Long.MAX_VALUE) demand--;
        handler.handle(ar.result());
        read();
      }
    });
  }
}
