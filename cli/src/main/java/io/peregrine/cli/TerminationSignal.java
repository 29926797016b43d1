package io.peregrine.cli;

import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.CountDownLatch;

/**
 * Waits for SIGTERM or SIGINT without starting the JVM's shutdown, so the broker can close in order and
 * the process exit with 0. The JVM's own handling would exit with 143 after the shutdown hooks.
 * Uses {@code sun.misc.Signal} from the {@code jdk.unsupported} module, through reflection so the build
 * stays free of internal-API warnings.
 */
final class TerminationSignal
{
    private final CountDownLatch latch = new CountDownLatch(1);

    TerminationSignal()
    {
        try
        {
            final Class<?> signalClass = Class.forName("sun.misc.Signal");
            final Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
            final Object handler = Proxy.newProxyInstance(handlerClass.getClassLoader(), new Class<?>[]{ handlerClass },
                (proxy, method, args) ->
                {
                    if ("handle".equals(method.getName()))
                    {
                        latch.countDown();
                    }
                    return null;
                });
            final Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
            for (final String name : new String[]{ "TERM", "INT" })
            {
                handle.invoke(null, signalClass.getConstructor(String.class).newInstance(name), handler);
            }
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new IllegalStateException("cannot install SIGTERM/SIGINT handlers: " + ex, ex);
        }
    }

    /**
     * @return true once SIGTERM or SIGINT has arrived.
     */
    boolean arrived()
    {
        return latch.getCount() == 0;
    }

    /**
     * Block until SIGTERM or SIGINT arrives.
     *
     * @throws InterruptedException if the waiting thread is interrupted.
     */
    void await() throws InterruptedException
    {
        latch.await();
    }
}
