"""A character-level LSTM language model, with gradients from knetc.grad.

A port of the "Recurrent neural network" example of Knet's 2016 tutorial (after Karpathy's
"The Unreasonable Effectiveness of Recurrent Neural Networks"). As in the tutorial, inputs,
hidden and cell states are row vectors, one row per text stream of a minibatch (batch x
features); each LSTM layer keeps all four gates in one weight matrix and one bias; `predict`
updates the state list in place; `loss` is the average cross-entropy per character over a
(sub)sequence, trained by backpropagation through time (BPTT) over `--seqlength` characters
at a time, with the state carried over from one subsequence to the next.

    python examples/charlm.py --maxchars 1000000 --save lm.npz     # train on a prefix
    python examples/charlm.py --load lm.npz --generate 1000         # sample 1000 characters
    python examples/charlm.py --data mytext.txt --epochs 5 --generate 500
    python examples/charlm.py --source                              # the gradient code
    python examples/charlm.py --gpu --save lm.npz                   # on the GPU (CuPy)

The default text is shakespeare.txt(.gz), found by knetc.data.text in $KNETC_DATA (or
~/.cache/knetc). The last 5% of the text (after --maxchars) is held out to report a dev loss.
"""
import argparse
import sys
import time

import numpy as np

import knetc
from knetc import logp, sigm


def lstm(weight, bias, hidden, cell, input):
    gates = np.hstack((input, hidden)) @ weight + bias
    hsize = hidden.shape[1]
    forget = sigm(gates[:, 0:hsize])
    ingate = sigm(gates[:, hsize:2 * hsize])
    outgate = sigm(gates[:, 2 * hsize:3 * hsize])
    change = np.tanh(gates[:, 3 * hsize:])
    cell = cell * forget + ingate * change
    hidden = outgate * np.tanh(cell)
    return (hidden, cell)


def predict(w, s, x):
    x = x @ w[-3]
    for i in range(0, len(s), 2):
        s[i], s[i + 1] = lstm(w[i], w[i + 1], s[i], s[i + 1], x)
        x = s[i]
    return x @ w[-2] + w[-1]


def loss(param, state, sequence, range):
    # `range` is the tutorial's: the positions t whose next character sequence[t+1] is predicted
    total = 0.0
    count = 0
    input = sequence[range[0]]
    for t in range:
        ypred = predict(param, state, input)
        ynorm = logp(ypred, axis=1)  # ypred - log(sum(exp(ypred), axis=1))
        ygold = sequence[t + 1]
        total += np.sum(ygold * ynorm)
        count += ygold.shape[0]
        input = ygold
    return -total / count


lossgradient = knetc.value_and_grad(loss)


def generate(param, state, vocab, nchar, rng, temperature=1.0):
    index_to_char = sorted(vocab, key=vocab.get)
    eye = np.eye(len(vocab), dtype=param[-1].dtype)     # eye[i:i+1]: character i, one-hot
    if isinstance(param[-1], knetc.KnetArray):
        eye = knetc.gpu(eye)
    index = vocab.get("\n", 0)  # start as after a line break (the tutorial starts from zeros)
    text = []
    for t in range(nchar):
        ypred = predict(param, state, eye[index:index + 1])
        # The scores come to the host (on the GPU: one copy of nvocab numbers per character)
        # to draw the next character there.
        scores = knetc.cpu(ypred[0]).astype(np.float64)
        p = np.exp(logp(scores / temperature, axis=0))
        index = rng.choice(len(p), p=p / p.sum())
        text.append(index_to_char[index])
    return "".join(text)


def weights(nvocab, embed, hidden, layers, winit, rng):
    """[weight, bias] per LSTM layer, then the embedding, the output weight and its bias.

    winit 0 means Xavier/Glorot uniform weights; otherwise gaussian with std winit (the
    tutorial's --winit 0.3). Biases start at 0, except the forget gates' at 1."""
    def rand(nin, nout):
        if winit:
            return knetc.gaussian(nin, nout, std=winit, rng=rng)
        return knetc.xavier(nin, nout, rng=rng)

    w = []
    nin = embed
    for _ in range(layers):
        w.append(rand(nin + hidden, 4 * hidden))
        bias = np.zeros((1, 4 * hidden), dtype=np.float32)
        bias[:, 0:hidden] = 1                      # forget gates start open
        w.append(bias)
        nin = hidden
    w.append(rand(nvocab, embed))
    w.append(rand(hidden, nvocab))
    w.append(np.zeros((1, nvocab), dtype=np.float32))
    return w


def initstate(param, batchsize):
    """Zero hidden and cell rows for every layer: [h1, c1, h2, c2, ...], where param lives
    (KnetArrays on the GPU, as Knet's initstate converts them to the parameters' type)."""
    state = []
    for i in range(0, len(param) - 3, 2):
        hidden = param[i + 1].shape[1] // 4
        state.append(np.zeros((batchsize, hidden), dtype=param[i].dtype))
        state.append(np.zeros((batchsize, hidden), dtype=param[i].dtype))
    return knetc.gpu(state) if isinstance(param[0], knetc.KnetArray) else state


# Everything below is the command line: reading text, minibatching, training, sampling.


def streams(ids, batchsize):
    """The character ids cut into batchsize parallel streams: a batchsize x n matrix whose
    rows are consecutive pieces of the text (the tail that does not fill a row is dropped)."""
    n = len(ids) // batchsize
    return ids[:n * batchsize].reshape(batchsize, n)


def subsequences(rows, seqlength, eye):
    """For each BPTT window of the streams, the list of seqlength + 1 one-hot batch x nvocab
    matrices (character t of every stream): rows of `eye`, the nvocab x nvocab identity
    (on the GPU, eye and rows are KnetArrays and each one-hot matrix is gathered there);
    consecutive windows overlap by one character."""
    for start in range(0, rows.shape[1] - 1, seqlength):
        window = rows[:, start:start + seqlength + 1]
        yield [eye[window[:, t]] for t in range(window.shape[1])]


def nwindows(rows, seqlength):
    return len(range(0, rows.shape[1] - 1, seqlength))


def evaluate(param, rows, seqlength, eye):
    """Average loss per character over the streams, state carried across windows."""
    state = initstate(param, rows.shape[0])
    total = count = 0
    for sequence in subsequences(rows, seqlength, eye):
        n = len(sequence) - 1
        total += n * loss(param, state, sequence, range(n))   # on the GPU: summed there
        count += n
    return float(total) / count if count else float("nan")


def show(*items):
    """Print a line the way Julia prints the tutorial's tuples: (:epoch, 1, :loss, 1.625)."""
    text = [f"{x:.4g}" if isinstance(x, (float, np.floating)) else str(x) for x in items]
    print("(" + ", ".join(text) + ")", flush=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Train a character-level LSTM language model with knetc (the Knet "
                    "tutorial's charlm example) and sample text from it. Prints the average "
                    "loss per character (in nats) on the training text as it goes, and on "
                    "held-out text after every epoch.")
    parser.add_argument("--data", metavar="FILE", default="shakespeare.txt",
                        help="text file to train on, plain or .gz; a relative name not found "
                             "here is looked for in $KNETC_DATA (or ~/.cache/knetc) "
                             "(default: shakespeare.txt)")
    parser.add_argument("--maxchars", type=int, default=None, metavar="N",
                        help="use only the first N characters of the text, for quick runs")
    parser.add_argument("--epochs", type=int, default=None,
                        help="passes over the training text (default: 1, or 0 with --load)")
    parser.add_argument("--lr", type=float, default=0.002,
                        help="Adam learning rate (default: 0.002)")
    parser.add_argument("--gclip", type=float, default=5.0,
                        help="clip the global gradient norm to this; 0 for no clipping "
                             "(default: 5)")
    parser.add_argument("--batchsize", type=int, default=64,
                        help="parallel text streams per minibatch (default: 64)")
    parser.add_argument("--seqlength", type=int, default=50,
                        help="characters per BPTT subsequence (default: 50)")
    parser.add_argument("--hidden", type=int, default=256,
                        help="LSTM hidden units per layer (default: 256)")
    parser.add_argument("--embed", type=int, default=64,
                        help="character embedding size (default: 64)")
    parser.add_argument("--layers", type=int, default=1,
                        help="number of LSTM layers (default: 1)")
    parser.add_argument("--winit", type=float, default=0.0,
                        help="std of gaussian initial weights; 0 for Xavier (default: 0)")
    parser.add_argument("--every", type=int, default=100, metavar="N",
                        help="print the average training loss every N updates (default: 100)")
    parser.add_argument("--save", metavar="FILE",
                        help="save the model, optimizer state and vocabulary here (.npz) "
                             "after every epoch")
    parser.add_argument("--load", metavar="FILE",
                        help="start from a model saved with --save (its sizes and "
                             "vocabulary override --hidden, --embed, --layers)")
    parser.add_argument("--generate", type=int, default=0, metavar="N",
                        help="print N characters sampled from the model at the end")
    parser.add_argument("--temperature", type=float, default=1.0,
                        help="divide the scores by this before sampling (default: 1)")
    parser.add_argument("--seed", type=int, default=1,
                        help="random seed for weights and sampling (default: 1)")
    parser.add_argument("--gpu", action="store_true",
                        help="run on the GPU: parameters and data as knetc.KnetArrays (needs "
                             "CuPy and an NVIDIA GPU)")
    parser.add_argument("--source", action="store_true",
                        help="print the generated gradient code of loss and exit")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.source:
        print(knetc.source(lossgradient))
        return 0
    if args.gpu:
        try:
            knetc.cuda.default_device()     # no GPU (or no CuPy): one line, before any work
        except knetc.NoGPUError as e:
            print(f"charlm: {e}", file=sys.stderr)
            return 2
    # Knet's `atype`: where the arrays live. knetc.gpu moves the parameters and the text (as
    # character ids, and the one-hot table the inputs are cut from) to the GPU as KnetArrays;
    # lstm, predict and loss run unchanged, and so do the optimizer steps.
    atype = knetc.gpu if args.gpu else (lambda tree: tree)
    epochs = args.epochs if args.epochs is not None else (0 if args.load else 1)
    if epochs < 1 and not args.load:
        print("charlm: nothing to do: give --epochs 1 or more, or --load", file=sys.stderr)
        return 2
    rng = np.random.default_rng(args.seed)
    knetc.seed(args.seed)

    opt = knetc.Adam(lr=args.lr, gclip=args.gclip)
    if args.load:
        param, ostate, extra = knetc.load(args.load)
        param = atype(param)        # saved as NumPy arrays; the optimizer state follows them
        vocab = extra["vocab"]
        if ostate is not None:
            opt.load_state(ostate)
            opt.lr, opt.gclip = args.lr, args.gclip
    if epochs > 0:
        text, textvocab = knetc.data.text(args.data)
        text = text[:args.maxchars]
        if not args.load:
            vocab = textvocab
            param = atype(weights(len(vocab), args.embed, args.hidden, args.layers, args.winit,
                                  rng))
        unknown = set(text) - set(vocab)
        if unknown:
            print(f"charlm: {len(unknown)} characters of {args.data} are not in the loaded "
                  f"model's vocabulary: {''.join(sorted(unknown))!r}", file=sys.stderr)
            return 1
        lookup = np.zeros(max(map(ord, vocab)) + 1, dtype=np.int64)
        lookup[[ord(c) for c in vocab]] = list(vocab.values())
        ids = lookup[np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)]
        ndev = len(ids) // 20
        trn = streams(ids[:len(ids) - ndev], args.batchsize)
        dev = streams(ids[len(ids) - ndev:], min(args.batchsize, max(ndev // 2, 1)))
        if trn.shape[1] < 2:
            print(f"charlm: {len(text)} characters are too few for {args.batchsize} streams",
                  file=sys.stderr)
            return 1
        # The character ids and the one-hot table go to the GPU once, like the parameters.
        trn, dev, eye = atype((trn, dev, np.eye(len(vocab), dtype=param[0].dtype)))
        print(f"# {len(text)} characters, {len(vocab)} distinct; training on {trn.size} "
              f"({args.batchsize} streams of {trn.shape[1]}), dev {dev.size}; "
              f"{sum(p.size for p in param)} parameters", flush=True)
        show(":epoch", 0, ":dev", evaluate(param, dev, args.seqlength, eye))

    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        state = initstate(param, args.batchsize)
        total = count = 0
        bar = knetc.progress(subsequences(trn, args.seqlength, eye),
                             total=nwindows(trn, args.seqlength), desc=f"epoch {epoch}",
                             unit="update")
        for update, sequence in enumerate(bar, 1):
            value, dparam = lossgradient(param, state, sequence, range(len(sequence) - 1))
            knetc.update(param, dparam, opt)
            total += value        # on the GPU: summed there, copied to the host when shown
            count += 1
            if not bar.disable:   # float() waits for the GPU: only when the bar is drawn
                bar.set_postfix(loss=f"{float(value):.3f}", refresh=False)
            if update % args.every == 0:
                show(":epoch", epoch, ":update", update, ":chars", update * trn.shape[0]
                     * args.seqlength, ":trn", float(total) / count,
                     ":time", time.perf_counter() - start)
                total = count = 0
        seconds = time.perf_counter() - start
        show(":epoch", epoch, ":dev", evaluate(param, dev, args.seqlength, eye),
             ":time", seconds)
        if args.save:
            knetc.save(args.save, knetc.cpu(param), opt, vocab=vocab, epoch=epoch)

    if args.save and epochs == 0:
        knetc.save(args.save, knetc.cpu(param), opt, vocab=vocab, epoch=0)
    if args.generate:
        print(generate(param, initstate(param, 1), vocab, args.generate, rng,
                       args.temperature))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
