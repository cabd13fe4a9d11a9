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
  /** Records what is handed on; recycles a block only when told to, like a consumer running behind. */
  private static final class Recorder implements BlockBuffer.Taker {
    final Set<byte[]> arrays = Collections.newSetFromMap(new IdentityHashMap<>());
    final ArrayDeque<byte[]> held = new ArrayDeque<>();
    final List<Integer> lengths = new ArrayList<>();
    final ByteArrayOutputStream content = new ByteArrayOutputStream();

    @Override
    public void take(byte[] block, int length) {
      arrays.add(block);
      lengths.add(length);
      content.write(block, 0, length);
      held.add(block);
    }
  }

  @Test
  void cutsAnyWritesIntoFullBlocksAndALastPartialOne() throws IOException {
    var random = new Random(7);
    for (int total : new int[] {1, 15, 16, 17, 32, 33, 1000}) {
      var taker = new Recorder();
      var buffer = new BlockBuffer(16, taker);
      byte[] data = new byte[total];
      random.nextBytes(data);
      for (int off = 0; off < total; ) {
        int n = Math.min(total - off, random.nextInt(40));
        buffer.write(data, off, n);
        off += n;
        // The taker keeps up: every block comes back as soon as it was taken.
        taker.held.forEach(buffer::recycle);
        taker.held.clear();
      }
      boolean partial = total % 16 != 0;
      assertThat(buffer.drain()).as("total %d", total).isEqualTo(partial);
      assertThat(taker.content.toByteArray()).as("total %d", total).isEqualTo(data);
      assertThat(taker.lengths.subList(0, total / 16)).allMatch(l -> l == 16);
      assertThat(taker.lengths).hasSize(total / 16 + (partial ? 1 : 0));
      if (partial) {
        assertThat(taker.lengths.getLast()).isEqualTo(total % 16);
      }
      // One write hands on several blocks before they come back: at most as many arrays as one write spans, plus one.
      assertThat(taker.arrays).hasSizeLessThanOrEqualTo(40 / 16 + 2);
      assertThat(buffer.drain()).isFalse();
    }
  }

  @Test
  void aBlockIsFilledAgainOnlyOnceRecycled() throws IOException {
    var taker = new Recorder();
    var buffer = new BlockBuffer(16, taker);
    buffer.write(new byte[0], 0, 0);
    assertThat(buffer.drain()).isFalse();
    buffer.write(new byte[32], 0, 32);
    assertThat(taker.arrays).as("both still held: two arrays").hasSize(2);
    buffer.recycle(taker.held.poll());
    buffer.write(new byte[16], 0, 16);
    assertThat(taker.arrays).as("the recycled one was filled again").hasSize(2);
    buffer.recycle(new byte[0]);
    buffer.write(new byte[16], 0, 16);
    assertThat(taker.lengths).containsExactly(16, 16, 16, 16);
    assertThat(taker.arrays).as("a block of another size is not reused").hasSize(3);
  }

  @Test
  void aTakerFailureReachesTheWriter() {
    var buffer = new BlockBuffer(4, (block, length) -> {
      throw new IOException("part 1 refused");
    });
    assertThatThrownBy(() -> buffer.write(new byte[10], 0, 10)).hasMessage("part 1 refused");
  }
}
