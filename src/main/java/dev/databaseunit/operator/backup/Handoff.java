package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.storage.BlockBuffer;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.concurrent.CancellationException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One stage of the backup pipeline on a thread of its own: bytes written here are cut into blocks and handed through a
 * small bounded queue to a thread that writes them to {@code downstream}, so compression and encryption overlap with
 * pg_dump and the upload instead of taking turns on one thread. At most {@code depth} + 2 blocks exist (queued, being
 * written downstream, being filled), recycled, whatever the stream's length.
 *
 * <p>A failure on either side fails the other: the worker's failure comes back from the next write or {@link #close()},
 * and {@link #abort()} stops the worker, as a write or close that throws does. Only a {@link #close()} that returns closes {@code downstream}; after a
 * failure or an abort it is left unclosed, so nothing downstream (a multipart upload) completes.
 */
final class Handoff extends OutputStream {
  private record Block(byte[] bytes, int length) {}

  private final OutputStream downstream;
  private final int depth;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<Block> queue = new ArrayDeque<>();
  private final BlockBuffer buffer;
  private final Thread worker;
  /** Guarded by {@link #lock}: no more blocks come. */
  private boolean ended;
  /** Guarded by {@link #lock}: the first failure of either side, or the abort. */
  private Throwable failure;
  private boolean closed;

  /** Starts the stage's thread, named {@code name}. */
  Handoff(String name, OutputStream downstream, int blockSize, int depth) {
    if (depth <= 0) {
      throw new IllegalArgumentException("depth must be positive: " + depth);
    }
    this.downstream = downstream;
    this.depth = depth;
    this.buffer = new BlockBuffer(blockSize, (block, length) -> put(new Block(block, length)));
    // A platform thread: the work is CPU-bound (zstd through JNI, AES-GCM), which would pin a virtual thread's carrier.
    this.worker = Thread.ofPlatform().name(name).daemon().start(this::work);
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    if (closed) {
      throw new IOException(worker.getName() + " is closed");
    }
    try {
      buffer.write(b, off, len);
    } catch (IOException e) {
      abort();
      throw e;
    }
  }

  /** Hands on the last block, waits until the worker has written everything and closed downstream, and throws its failure. */
  @Override
  public void close() throws IOException {
    if (closed) {
      // Once more after a close that returned: a no-op; after a failure or an abort: that failure again.
      throwFailure();
      return;
    }
    closed = true;
    try {
      buffer.drain();
    } catch (IOException e) {
      abort();
      throw e;
    }
    lock.lock();
    try {
      ended = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    try {
      worker.join();
    } catch (InterruptedException e) {
      abort();
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(worker.getName() + " interrupted");
    }
    throwFailure();
  }

  private void throwFailure() throws IOException {
    lock.lock();
    try {
      if (failure != null) {
        throw failed();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Stops the worker (interrupting a write it is blocked in) and returns once it has ended; downstream stays unclosed. */
  void abort() {
    closed = true;
    fail(new CancellationException(worker.getName() + " aborted"));
    worker.interrupt();
    boolean interrupted = false;
    while (worker.isAlive()) {
      try {
        worker.join();
      } catch (InterruptedException e) {
        // The abort itself must finish: a worker left running could still write downstream.
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void put(Block block) throws IOException {
    lock.lock();
    try {
      while (failure == null && queue.size() == depth) {
        changed.await();
      }
      if (failure != null) {
        throw failed();
      }
      queue.add(block);
      changed.signalAll();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted handing a block to " + worker.getName());
    } finally {
      lock.unlock();
    }
  }

  /** The next block, or null at the end of the stream; throws once the stage failed. */
  private Block take() throws InterruptedException {
    lock.lock();
    try {
      while (failure == null && queue.isEmpty() && !ended) {
        changed.await();
      }
      if (failure != null) {
        throw new CancellationException(worker.getName() + " stopped: " + failure);
      }
      Block block = queue.poll();
      changed.signalAll();
      return block;
    } finally {
      lock.unlock();
    }
  }

  private void work() {
    try {
      for (Block block; (block = take()) != null; ) {
        downstream.write(block.bytes(), 0, block.length());
        buffer.recycle(block.bytes());
      }
      downstream.close();
    } catch (Throwable t) {
      fail(t);
    }
  }

  private void fail(Throwable cause) {
    lock.lock();
    try {
      if (failure == null) {
        failure = cause;
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The stage's failure for the writer, in the words of the stage that failed (a backup's failure message). */
  private IOException failed() {
    if (failure instanceof InterruptedIOException) {
      return new InterruptedIOException(failure.getMessage());
    }
    String message = failure instanceof IOException ? failure.getMessage() : worker.getName() + " failed: " + failure;
    return new IOException(message, failure);
  }
}
