package io.breakwater.core.concurrent;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Threads for work that mostly waits (an LLM call, a permit, a cooldown): virtual threads where the JDK has them
 * (21 and later), so that hundreds of calls in flight cost little; elsewhere platform threads, made as work comes and
 * ended after a minute idle, so that a pool sized for a burst does not hold its threads for good.
 */
public final class HandlerThreads {

    private static final long IDLE_SECONDS = 60;

    private HandlerThreads() {
    }

    /**
     * A pool that runs at most {@code size} tasks at once, queueing the rest; its threads named {@code name-N}. A task
     * goes to an idle thread if there is one, and a new thread is made only when none is idle (a plain pool of
     * {@code size} core threads makes one per task until it has them all).
     */
    public static ThreadPoolExecutor pool(String name, int size) {
        return elastic(size, factory(name));
    }

    /** As {@link #pool}, always with platform threads: for work that computes rather than waits (a search). */
    public static ThreadPoolExecutor platformPool(String name, int size) {
        return elastic(size, DaemonThreads.named(name));
    }

    static ThreadPoolExecutor elastic(int size, ThreadFactory threads) {
        ElasticQueue queue = new ElasticQueue();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(0, size, IDLE_SECONDS, TimeUnit.SECONDS, queue, threads,
                (task, executor) -> {
                    // The queue refused it to make the pool add a thread, and another submitter took that room: queue
                    // it after all (a thread of the full pool takes it), unless the pool is shutting down.
                    if (executor.isShutdown()) {
                        throw new RejectedExecutionException("the pool is shut down");
                    }
                    queue.force(task);
                });
        queue.pool = pool;
        return pool;
    }

    /**
     * Takes a task only while a thread is idle or none may be added: otherwise refuses it, and the pool adds a
     * thread (Tomcat's way with the JDK's pool). Unbounded, so the pool never rejects.
     */
    private static final class ElasticQueue extends LinkedBlockingQueue<Runnable> {

        private static final long serialVersionUID = 1L;

        private transient volatile ThreadPoolExecutor pool;

        @Override
        public boolean offer(Runnable task) {
            ThreadPoolExecutor executor = pool;
            if (executor != null && executor.getPoolSize() < executor.getMaximumPoolSize()
                    && executor.getActiveCount() + size() >= executor.getPoolSize()) {
                return false; // no idle thread for it, and room for one more
            }
            return super.offer(task);
        }

        /** Queues {@code task} whatever the pool's threads. */
        void force(Runnable task) {
            super.offer(task);
        }
    }

    /** Whether this JDK gives {@link #pool} virtual threads. */
    public static boolean virtual() {
        return VIRTUAL != null;
    }

    private static ThreadFactory factory(String name) {
        if (VIRTUAL != null) {
            try {
                return VIRTUAL.make(name);
            } catch (ReflectiveOperationException e) {
                // fall through to platform threads
            }
        }
        return DaemonThreads.named(name);
    }

    /** Makes a virtual thread factory: {@code Thread.ofVirtual().name(name + "-", 0).factory()}, read reflectively. */
    @FunctionalInterface
    private interface VirtualFactory {
        ThreadFactory make(String name) throws ReflectiveOperationException;
    }

    private static final VirtualFactory VIRTUAL = virtualFactory();

    private static VirtualFactory virtualFactory() {
        if (Runtime.version().feature() < 21) {
            return null;
        }
        try {
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            Class<?> builderClass = Class.forName("java.lang.Thread$Builder$OfVirtual");
            var ofVirtual = lookup.findStatic(Thread.class, "ofVirtual", MethodType.methodType(builderClass));
            var named = lookup.findVirtual(builderClass, "name",
                    MethodType.methodType(builderClass, String.class, long.class));
            var factory = lookup.findVirtual(Class.forName("java.lang.Thread$Builder"), "factory",
                    MethodType.methodType(ThreadFactory.class));
            return name -> {
                try {
                    return (ThreadFactory) factory.invoke(named.invoke(ofVirtual.invoke(), name + "-", 0L));
                } catch (ReflectiveOperationException | RuntimeException | Error e) {
                    throw e;
                } catch (Throwable e) {
                    throw new ReflectiveOperationException(e);
                }
            };
        } catch (ReflectiveOperationException e) {
            return null;
        }
    }
}
