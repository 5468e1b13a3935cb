"""The real Closer run against the local Discord (bot.sandbox): the demo and the test world.

bot.sandbox is a fake Discord that knows nothing of Closer; this package is the glue that knows
both, so product code never leaks into the fake and the fake never into the product.
"""
