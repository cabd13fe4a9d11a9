package dev.databaseunit.operator.vector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class RecallMathTest {

  @Test
  void recallIsTheShareOfTheExactTopKFoundAveragedOverQueries() {
    var exact = List.of(List.of(1, 2, 3, 4), List.of(5, 6, 7, 8));
    var approximate = List.of(List.of(1, 2, 3, 4), List.of(5, 9, 10, 6));
    assertThat(RecallMath.recallAtK(exact, approximate, 4)).isEqualTo((1.0 + 0.5) / 2);
  }

  @Test
  void onlyTheFirstKOfEachAnswerCount() {
    var exact = List.of(List.of(1, 2, 3, 4));
    var approximate = List.of(List.of(1, 9, 2, 3));
    // top 2: exact {1,2}, approximate {1,9}
    assertThat(RecallMath.recallAtK(exact, approximate, 2)).isEqualTo(0.5);
    assertThat(RecallMath.recallAtK(exact, approximate, 4)).isEqualTo(0.75);
  }

  @Test
  void orderWithinTheTopKDoesNotMatterAndATinyTableIsMeasuredAgainstWhatExists() {
    assertThat(RecallMath.recallAtK(List.of(List.of(1, 2, 3)), List.of(List.of(3, 1, 2)), 10)).isEqualTo(1.0);
    assertThat(RecallMath.recallAtK(List.of(List.of(1, 2)), List.of(List.of(1)), 10)).isEqualTo(0.5);
  }

  @Test
  void randomisedRecallStaysBetweenZeroAndOneAndIsOneForTheTruth() {
    var random = new Random(42);
    for (int round = 0; round < 200; round++) {
      List<List<Integer>> exact = new ArrayList<>();
      List<List<Integer>> approximate = new ArrayList<>();
      for (int q = 0; q < 1 + random.nextInt(5); q++) {
        List<Integer> ids = new ArrayList<>(IntStream.range(0, 30).boxed().toList());
        Collections.shuffle(ids, random);
        exact.add(ids.subList(0, 10));
        Collections.shuffle(ids, random);
        approximate.add(ids.subList(0, random.nextInt(11)));
      }
      double recall = RecallMath.recallAtK(exact, approximate, 10);
      assertThat(recall).isBetween(0.0, 1.0);
      assertThat(RecallMath.recallAtK(exact, exact, 10)).isEqualTo(1.0);
    }
  }

  @Test
  void mismatchedOrEmptyInputIsRejected() {
    assertThatThrownBy(() -> RecallMath.recallAtK(List.of(List.of(1)), List.of(), 10)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RecallMath.recallAtK(List.of(), List.of(), 10)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void percentilesByNearestRank() {
    double[] samples = IntStream.rangeClosed(1, 20).asDoubleStream().toArray();
    assertThat(RecallMath.percentile(samples, 0.5)).isEqualTo(10.0);
    assertThat(RecallMath.percentile(samples, 0.95)).isEqualTo(19.0);
    assertThat(RecallMath.percentile(samples, 1.0)).isEqualTo(20.0);
    assertThat(RecallMath.percentile(new double[] {7}, 0.95)).isEqualTo(7.0);
    assertThat(RecallMath.percentile(new double[] {3, 1, 2}, 0.5)).isEqualTo(2.0);
    assertThatThrownBy(() -> RecallMath.percentile(new double[0], 0.5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RecallMath.percentile(samples, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void indexEfficiencyIsIndexScansOverAllScans() {
    assertThat(RecallMath.indexEfficiency(80, 20)).isCloseTo(0.8, within(1e-9));
    assertThat(RecallMath.indexEfficiency(0, 5)).isZero();
    assertThat(RecallMath.indexEfficiency(0, 0)).isNaN();
  }
}
