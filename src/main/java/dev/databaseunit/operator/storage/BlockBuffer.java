package dev.databaseunit.operator.storage;

import java.io.IOException;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Cuts writes of any size into fixed-size blocks and hands each full one on, the way a multipart upload wants its parts
 * and a pipeline stage its queue items. A taker done with a block gives it back with {@link #recycle}, from any thread,
 * so a stream of any length passes through as many arrays as are in use at once. Writing is for one thread.
 */
public final class BlockBuffer {
  /** Where filled blocks go. */
  @FunctionalInterface
  public interface Taker {
    /** Takes a filled block (full, or the last one, holding {@code length} bytes); it is the taker's until recycled. */
    void take(byte[] block, int length) throws IOException;
  }

  private final int blockSize;
  private final Taker taker;
  private final ConcurrentLinkedQueue<byte[]> spare = new ConcurrentLinkedQueue<>();
  private byte[] filling;
  private int filled;

  public BlockBuffer(int blockSize, Taker taker) {
    if (blockSize <= 0) {
      throw new IllegalArgumentException("block size must be positive: " + blockSize);
    }
    this.blockSize = blockSize;
    this.taker = taker;
  }

  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      if (filling == null) {
        // Taken only when bytes arrive, so an idle buffer holds no block.
        byte[] recycled = spare.poll();
        filling = recycled != null ? recycled : new byte[blockSize];
        filled = 0;
      }
      int n = Math.min(len, blockSize - filled);
      System.arraycopy(b, off, filling, filled, n);
      filled += n;
      off += n;
      len -= n;
      if (filled == blockSize) {
        handOn();
      }
    }
  }

  /**
   * Hands on the partly filled block, if any: the end of the stream.
   *
   * @return whether a block was handed on
   */
  public boolean drain() throws IOException {
    if (filling == null || filled == 0) {
      return false;
    }
    handOn();
    return true;
  }

  /** A taken block the taker is done with, to be filled again (one of another size, such as an empty last part, is dropped). */
  public void recycle(byte[] block) {
    if (block.length == blockSize) {
      spare.offer(block);
    }
  }

  private void handOn() throws IOException {
    byte[] block = filling;
    filling = null;
    taker.take(block, filled);
  }
}
