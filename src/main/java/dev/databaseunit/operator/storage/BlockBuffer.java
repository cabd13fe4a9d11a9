package dev.databaseunit.operator.storage;

import java.io.IOException;

/**
 * Cuts writes of any size into fixed-size blocks and hands each full one on, the way a multipart upload wants its parts
 * and a pipeline stage its queue items. Where the blocks come from and go to is the owner's: both recycle them, so a
 * stream of any length passes through a fixed number of arrays. Not thread-safe: one writer.
 */
public final class BlockBuffer {
  /** Where blocks come from and go to. */
  public interface Blocks {
    /** An empty block to fill: recycled or new, of the same size each time. */
    byte[] next() throws IOException;

    /** Takes a filled block (full, or the last one, holding {@code length} bytes); it is the taker's from now on. */
    void take(byte[] block, int length) throws IOException;
  }

  private final Blocks blocks;
  private byte[] filling;
  private int filled;

  public BlockBuffer(Blocks blocks) {
    this.blocks = blocks;
  }

  public void write(byte[] b, int off, int len) throws IOException {
    while (len > 0) {
      if (filling == null) {
        // Asked for only when bytes arrive, so an owner waiting for a recycled block waits only when there is work.
        filling = blocks.next();
        filled = 0;
      }
      int n = Math.min(len, filling.length - filled);
      System.arraycopy(b, off, filling, filled, n);
      filled += n;
      off += n;
      len -= n;
      if (filled == filling.length) {
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

  private void handOn() throws IOException {
    byte[] block = filling;
    filling = null;
    blocks.take(block, filled);
  }
}
