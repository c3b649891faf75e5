"""GAN Studio: train generative adversarial networks on small image datasets and explore what they learned."""

__version__ = "0.1.0"
