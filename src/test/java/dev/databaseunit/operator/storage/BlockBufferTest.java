package dev.databaseunit.operator.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BlockBufferTest {
  /** Records what is handed on and recycles every block at once, like a consumer that keeps up. */
  private static final class Recorder implements BlockBuffer.Blocks {
    final int size;
    final ArrayDeque<byte[]> spare = new ArrayDeque<>();
    final Set<byte[]> arrays = Collections.newSetFromMap(new IdentityHashMap<>());
    final List<Integer> lengths = new ArrayList<>();
    final ByteArrayOutputStream content = new ByteArrayOutputStream();
    int asked;

    Recorder(int size) {
      this.size = size;
    }

    @Override
    public byte[] next() {
      asked++;
      byte[] b = spare.poll();
      return b != null ? b : new byte[size];
    }

    @Override
    public void take(byte[] block, int length) {
      arrays.add(block);
      lengths.add(length);
      content.write(block, 0, length);
      spare.add(block);
    }
  }

  @Test
  void cutsAnyWritesIntoFullBlocksAndALastPartialOne() throws IOException {
    var random = new Random(7);
    for (int total : new int[] {1, 15, 16, 17, 32, 33, 1000}) {
      var blocks = new Recorder(16);
      var buffer = new BlockBuffer(blocks);
      byte[] data = new byte[total];
      random.nextBytes(data);
      for (int off = 0; off < total; ) {
        int n = Math.min(total - off, random.nextInt(40));
        buffer.write(data, off, n);
        off += n;
      }
      boolean partial = total % 16 != 0;
      assertThat(buffer.drain()).as("total %d", total).isEqualTo(partial);
      assertThat(blocks.content.toByteArray()).as("total %d", total).isEqualTo(data);
      assertThat(blocks.lengths.subList(0, total / 16)).allMatch(l -> l == 16);
      assertThat(blocks.lengths).hasSize(total / 16 + (partial ? 1 : 0));
      if (partial) {
        assertThat(blocks.lengths.getLast()).isEqualTo(total % 16);
      }
      // Recycled blocks are reused: one array carries the whole stream.
      assertThat(blocks.arrays).hasSize(1);
      assertThat(buffer.drain()).isFalse();
    }
  }

  @Test
  void asksForABlockOnlyWhenBytesArrive() throws IOException {
    var blocks = new Recorder(16);
    var buffer = new BlockBuffer(blocks);
    buffer.write(new byte[0], 0, 0);
    assertThat(buffer.drain()).isFalse();
    assertThat(blocks.asked).isZero();
    buffer.write(new byte[16], 0, 16);
    // The full block went on; the next is asked for only by the next byte.
    assertThat(blocks.lengths).containsExactly(16);
    assertThat(blocks.asked).isEqualTo(1);
    buffer.write(new byte[1], 0, 1);
    assertThat(blocks.asked).isEqualTo(2);
  }

  @Test
  void aTakerFailureReachesTheWriter() {
    var buffer = new BlockBuffer(new BlockBuffer.Blocks() {
      @Override
      public byte[] next() {
        return new byte[4];
      }

      @Override
      public void take(byte[] block, int length) throws IOException {
        throw new IOException("part 1 refused");
      }
    });
    assertThatThrownBy(() -> buffer.write(new byte[10], 0, 10)).hasMessage("part 1 refused");
  }
}
