// SPDX-License-Identifier: MIT
/*
 * DisruptorBench - the LMAX Disruptor 3.4.4 peer of byteor's sequenced
 * slots, run by bench/seq.c once per repetition:
 *
 *   java -cp disruptor.jar:. DisruptorBench N_PUBLISH1 N_BATCH10 N_PINGPONG
 *
 * Prints "RESULT publish1 <ops/s>", "RESULT batch10 <ops/s>" and
 * "LAT pingpong <p50> <p99> <p99.9> <max>" (ns).  Unicast 1P-1C: a
 * single-producer ring of 65536 entries, BusySpinWaitStrategy, one
 * BatchEventProcessor (as in the Disruptor's own OneToOne throughput
 * test).  Ping-pong: two rings of 1024 entries; the pong handler of ring A
 * publishes into ring B; the ping thread publishes into A and busy-waits on
 * B's barrier.  Each measurement is preceded by warm-up runs (JIT).
 */
import com.lmax.disruptor.BatchEventProcessor;
import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventFactory;
import com.lmax.disruptor.EventHandler;
import com.lmax.disruptor.RingBuffer;
import com.lmax.disruptor.Sequence;
import com.lmax.disruptor.SequenceBarrier;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

public final class DisruptorBench {
	static final class ValueEvent {
		long value;
	}

	static final EventFactory<ValueEvent> FACTORY = ValueEvent::new;

	static final class SumHandler implements EventHandler<ValueEvent> {
		long sum;
		long expected;
		CountDownLatch latch;

		public void onEvent(ValueEvent e, long seq, boolean end) {
			sum += e.value;
			if (seq == expected)
				latch.countDown();
		}
	}

	static double unicast(long n, int batch) throws Exception {
		RingBuffer<ValueEvent> rb = RingBuffer.createSingleProducer(FACTORY, 65536,
				new BusySpinWaitStrategy());
		SequenceBarrier barrier = rb.newBarrier();
		SumHandler h = new SumHandler();
		BatchEventProcessor<ValueEvent> p = new BatchEventProcessor<>(rb, barrier, h);
		rb.addGatingSequences(p.getSequence());
		h.expected = n - 1;
		h.latch = new CountDownLatch(1);
		Thread t = new Thread(p);
		t.start();
		long t0 = System.nanoTime();
		if (batch == 1) {
			for (long i = 0; i < n; i++) {
				long s = rb.next();
				rb.get(s).value = i;
				rb.publish(s);
			}
		} else {
			for (long i = 0; i < n; i += batch) {
				long hi = rb.next(batch);
				long lo = hi - (batch - 1);
				for (long s = lo; s <= hi; s++)
					rb.get(s).value = s;
				rb.publish(lo, hi);
			}
		}
		h.latch.await();
		long t1 = System.nanoTime();
		p.halt();
		t.join();
		if (batch == 1 && h.sum != n * (n - 1) / 2)
			System.out.println("ERROR sum mismatch");
		return n * 1e9 / (t1 - t0);
	}

	static final class Pong implements EventHandler<ValueEvent> {
		final RingBuffer<ValueEvent> out;

		Pong(RingBuffer<ValueEvent> out) {
			this.out = out;
		}

		public void onEvent(ValueEvent e, long seq, boolean end) {
			long s = out.next();
			out.get(s).value = e.value;
			out.publish(s);
		}
	}

	static long[] pingpong(int n, int warm) throws Exception {
		RingBuffer<ValueEvent> a = RingBuffer.createSingleProducer(FACTORY, 1024,
				new BusySpinWaitStrategy());
		RingBuffer<ValueEvent> b = RingBuffer.createSingleProducer(FACTORY, 1024,
				new BusySpinWaitStrategy());
		BatchEventProcessor<ValueEvent> pong = new BatchEventProcessor<>(a, a.newBarrier(),
				new Pong(b));
		a.addGatingSequences(pong.getSequence());
		SequenceBarrier back = b.newBarrier();
		Sequence mine = new Sequence();
		b.addGatingSequences(mine);
		Thread t = new Thread(pong);
		t.start();
		long[] lat = new long[n];
		long next = 0;
		for (int i = 0; i < n + warm; i++) {
			long t0 = System.nanoTime();
			long s = a.next();
			a.get(s).value = i;
			a.publish(s);
			back.waitFor(next);
			long t1 = System.nanoTime();
			if (b.get(next).value != i)
				System.out.println("ERROR wrong echo");
			mine.set(next);
			next++;
			if (i >= warm)
				lat[i - warm] = t1 - t0;
		}
		pong.halt();
		t.join();
		Arrays.sort(lat);
		return lat;
	}

	public static void main(String[] args) throws Exception {
		long n1 = Long.parseLong(args[0]);
		long n10 = Long.parseLong(args[1]);
		int npp = Integer.parseInt(args[2]);
		n10 -= n10 % 10;
		for (int w = 0; w < 2; w++) {
			unicast(Math.max(n1 / 4, 1000), 1);
			unicast(Math.max(n10 / 4, 1000), 10);
		}
		System.out.printf("RESULT publish1 %.1f%n", unicast(n1, 1));
		System.out.printf("RESULT batch10 %.1f%n", unicast(n10, 10));
		pingpong(Math.max(npp / 2, 1000), 1000);
		long[] lat = pingpong(npp, npp / 4);
		int len = lat.length;
		System.out.printf("LAT pingpong %d %d %d %d%n", lat[len / 2],
				lat[(int) Math.min(len - 1, (long) (len * 0.99))],
				lat[(int) Math.min(len - 1, (long) (len * 0.999))], lat[len - 1]);
	}
}
