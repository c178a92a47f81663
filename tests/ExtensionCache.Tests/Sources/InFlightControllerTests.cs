using ExtensionCache.Extension.Sources;

namespace ExtensionCache.Tests.Sources;

public sealed class InFlightControllerTests
{
    [Fact]
    public async Task Throttling_halves_the_window_from_what_was_in_flight_once_per_window()
    {
        var controller = new InFlightController();
        var epochs = new List<int>();
        for (var i = 0; i < 8; i++)
        {
            epochs.Add(await controller.AcquireAsync(CancellationToken.None));
        }

        // Eight requests sent in the same window are all throttled: the first answer cuts 8 → 4, the others were
        // sent before the cut and change nothing.
        foreach (var epoch in epochs)
        {
            controller.Throttled(epoch);
        }

        Assert.Equal(4, controller.Window);
        Assert.Equal(1, controller.Decreases);
        Assert.Equal(0, controller.InFlight);

        // A request sent after the cut and throttled again cuts again.
        var next = await controller.AcquireAsync(CancellationToken.None);
        controller.Throttled(next);
        Assert.Equal(1, controller.Window);
        Assert.Equal(2, controller.Decreases);
    }

    [Fact]
    public async Task A_window_of_successes_grows_it_by_one()
    {
        var controller = new InFlightController();
        var first = await controller.AcquireAsync(CancellationToken.None);
        var second = await controller.AcquireAsync(CancellationToken.None);
        controller.Throttled(first);
        controller.Released();
        Assert.Equal(1, controller.Window);

        // Window 1: one success makes it 2; then two successes make it 3.
        await controller.AcquireAsync(CancellationToken.None);
        controller.Succeeded();
        Assert.Equal(2, controller.Window);
        await controller.AcquireAsync(CancellationToken.None);
        controller.Succeeded();
        Assert.Equal(2, controller.Window);
        await controller.AcquireAsync(CancellationToken.None);
        controller.Succeeded();
        Assert.Equal(3, controller.Window);
        _ = second;
    }

    [Fact]
    public async Task Requests_beyond_the_window_wait_in_order_until_a_slot_is_given_back()
    {
        var controller = new InFlightController();
        var held = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            held.Add(await controller.AcquireAsync(CancellationToken.None));
        }

        controller.Throttled(held[0]);
        Assert.Equal(2, controller.Window);
        Assert.Equal(3, controller.InFlight);

        var first = controller.AcquireAsync(CancellationToken.None);
        var second = controller.AcquireAsync(CancellationToken.None);
        Assert.False(first.IsCompleted);
        controller.Released();
        Assert.False(first.IsCompleted);
        controller.Released();
        await first.WaitAsync(Generous.Wait);
        Assert.False(second.IsCompleted);
        controller.Released();
        await second.WaitAsync(Generous.Wait);
        Assert.Equal(2, controller.InFlight);
    }

    [Fact]
    public async Task A_cancelled_waiter_does_not_take_a_slot()
    {
        var controller = new InFlightController();
        var epoch = await controller.AcquireAsync(CancellationToken.None);
        await controller.AcquireAsync(CancellationToken.None);
        controller.Throttled(epoch);
        Assert.Equal(1, controller.Window);

        using var cancel = new CancellationTokenSource();
        var waiting = controller.AcquireAsync(cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        controller.Released();

        Assert.Equal(0, controller.InFlight);
        await controller.AcquireAsync(CancellationToken.None).WaitAsync(Generous.Wait);
    }
}
