"""knetc: write a model as a plain NumPy loss function, get its gradient as readable Python.

    import numpy as np, knetc

    def loss(w, x, y):
        return knetc.sumabs2(y - (w[0] @ x + w[1])) / y.shape[1]

    dloss = knetc.grad(loss)          # compiles the adjoint of `loss` to Python source
    dw = dloss(w, x, y)               # same structure as w
    print(knetc.source(dloss))        # the generated gradient code
"""
from .api import grad, source, value_and_grad
from .forward import jvp, jvp_source
from .derivatives import (elementwise_grad, hessian, hvp, jacfwd, jacobian, jacrev,
                          vjp)
from .conv import conv4, pool
from .stochastic import dropout, is_training, seed, training
from .cuda import KnetArray, NoGPUError, cpu, gpu
from .data import minibatch
from .errors import (KnetcError, KnetcSyntaxError, NoAdjointError, NoGPUKernelError,
                     NonScalarError)
from .extend import adjoint, primitive, stop_gradient
from .gradcheck import check_grads
from .init import gaussian, uniform, xavier
from .io import load, save
from .nn import accuracy, logp, logsumexp, mat, nll, relu, sigm, softmax, sumabs2
from .optim import SGD, Adadelta, Adagrad, Adam, Momentum, Nesterov, Rmsprop
from .update import optimizers, update
from .progress import progress

__all__ = [
    "grad", "value_and_grad", "jvp", "vjp", "jacobian", "jacrev", "jacfwd", "hessian",
    "hvp", "elementwise_grad", "source", "jvp_source", "check_grads", "primitive", "adjoint",
    "stop_gradient",
    "KnetcError", "KnetcSyntaxError", "NoAdjointError", "NonScalarError", "NoGPUKernelError",
    "sigm", "relu", "sumabs2", "logp", "logsumexp", "softmax", "nll", "accuracy", "mat",
    "conv4", "pool", "dropout", "training", "is_training", "seed",
    "update", "SGD", "Momentum", "Nesterov", "Adagrad", "Adadelta", "Rmsprop", "Adam",
    "optimizers", "xavier", "gaussian", "uniform", "minibatch", "save", "load", "progress",
    "gpu", "cpu", "KnetArray", "NoGPUError",
]
__version__ = "0.1.0"
