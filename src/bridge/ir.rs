//! The chain IR: what the Lisp side asks of Python, independent of how it is executed.
//!
//! A [`ChainRequest`] is a short program of [`Step`]s run as one unit (one GIL hold embedded,
//! one message to a worker): `import numpy → getattr sum → call(a)`. A step's operands name the
//! results of earlier steps, live handles, or plain values. No pyo3, no I/O and no spans here:
//! the compiler keeps each step's span and maps a failing step index back to the Lisp form.

/// A Python object held by the Lisp side: an index into the handle table and its generation
/// (a stale id of a released slot is detected, not confused with the slot's next occupant).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HandleId {
    pub index: u32,
    pub generation: u32,
}

/// A Lisp function offered to Python as a callable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CallbackId(pub u32);

/// Values that cross the boundary by value.
#[derive(Clone, Debug, PartialEq, Default)]
pub enum WireValue {
    #[default]
    None,
    Bool(bool),
    Int(i64),
    /// An integer outside `i64`, as decimal digits (with sign).
    BigInt(String),
    Float(f64),
    Str(String),
    List(Vec<WireValue>),
    Tuple(Vec<WireValue>),
    /// Insertion-ordered key/value pairs.
    Dict(Vec<(WireValue, WireValue)>),
    Handle(HandleId),
    Callback(CallbackId),
    /// The result of an earlier step of the same request.
    Step(usize),
    /// Typed-array memory shared with Python without copying: reaches Python as a 1-D NumPy
    /// array over the same memory (a memoryview without NumPy); comes back from `->lisp`.
    Array(std::rc::Rc<crate::bridge::buffer::SharedBuffer>),
    /// `(as-nd a shape dtype)`: an ndarray of this shape over the array's memory.
    ArrayView(std::rc::Rc<crate::bridge::buffer::SharedBuffer>, Vec<usize>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// `import name` (cached by the backend).
    Import(String),
    /// `getattr(target, name)`.
    GetAttr(WireValue, String),
    /// `target(*args, **kwargs)`.
    Call(WireValue, Vec<WireValue>, Vec<(String, WireValue)>),
    /// `target[key]`.
    GetItem(WireValue, WireValue),
    /// `setattr(target, name, value)`; evaluates to the value.
    SetAttr(WireValue, String, WireValue),
    /// `eval(source)` in the shared namespace.
    Eval(String),
    /// `exec(source)` in the shared namespace; evaluates to None.
    Exec(String),
    /// Runs an awaitable to completion (`asyncio.run` for coroutines); other values pass through.
    Await(WireValue),
    /// `iter(target)`.
    Iter(WireValue),
    /// Up to n more items from an iterator, as a list (empty when exhausted).
    Take(WireValue, usize),
    /// Deep conversion to plain values (lists, dicts, scalars; ndarrays stay handles).
    ToLisp(WireValue),
    /// Keep the value as a handle even if it is a scalar (`->py`).
    AsHandle(WireValue),
}

/// How the result of the last step comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResultMode {
    /// Scalars (None, bool, int, float, str, NumPy scalars) by value, the rest as handles.
    Auto,
    /// Always a handle.
    Handle,
    /// Deep conversion (`->lisp`).
    Deep,
    /// The result is a list; each item comes back as `Auto` would return it.
    Items,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChainRequest {
    pub steps: Vec<Step>,
    pub mode: ResultMode,
}

/// A Python exception, as the Lisp side sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct PyFailure {
    /// Index of the step that raised.
    pub step: usize,
    /// The class name (`"ValueError"`).
    pub type_name: String,
    pub message: String,
    /// The exception object, kept as a handle: its traceback is formatted only if the error
    /// is shown (a caught error never pays for formatting).
    pub exception: Option<HandleId>,
    /// It was a `KeyboardInterrupt`.
    pub interrupt: bool,
}

/// A description of a handle for display: `numpy.ndarray`, `repr(...)`, `str(...)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Description {
    pub type_name: String,
    pub repr: String,
    pub str: String,
}

/// What a backend offers the Lisp side. Failures are boxed: the success path then moves a small
/// result, which matters on a hot loop of calls. Methods take `&self`: a request may call a Lisp
/// callback that issues requests of its own, so nothing may stay borrowed across `execute`.
pub trait Backend {
    fn execute(
        &self,
        req: &ChainRequest,
        host: &mut dyn CallbackHost,
    ) -> Result<WireValue, Box<PyFailure>>;
    /// Runs several requests in one go (one GIL hold / one message); `Step(i)` operands of a
    /// later request may not refer to an earlier request: each request's results are separate.
    fn execute_batch(
        &self,
        reqs: &[ChainRequest],
        host: &mut dyn CallbackHost,
    ) -> Vec<Result<WireValue, Box<PyFailure>>> {
        reqs.iter().map(|r| self.execute(r, host)).collect()
    }
    /// `f(*args)` for a handle and plain arguments: the hot path of a loop calling a cached
    /// function. Same result as a one-step request.
    fn call_handle(
        &self,
        f: HandleId,
        args: &[WireValue],
        host: &mut dyn CallbackHost,
    ) -> Result<WireValue, Box<PyFailure>> {
        let req = ChainRequest {
            steps: vec![Step::Call(WireValue::Handle(f), args.to_vec(), Vec::new())],
            mode: ResultMode::Auto,
        };
        self.execute(&req, host)
    }
    fn describe(&self, h: HandleId, repr_limit: usize) -> Option<Description>;
    /// `traceback.format_exception` of an exception handle (empty if not one).
    fn format_exception(&self, h: HandleId) -> String;
    /// The class names along the MRO of a handle's type (`catch` matches subclasses).
    fn mro(&self, h: HandleId) -> Vec<String>;
    /// Attribute names of a handle's object (`dir()`), for completion.
    fn dir(&self, h: HandleId) -> Vec<String>;
    /// Live handles (held by the Lisp side, releases not yet flushed excluded).
    fn live_handles(&self) -> usize;
    fn list_handles(&self) -> Vec<HandleId>;
    /// The release queue Lisp handles push onto when dropped.
    fn release_queue(&self) -> crate::bridge::handles::ReleaseQueue;
    /// Time spent inside Python, and requests made, since the backend started.
    fn stats(&self) -> Stats;
    fn version(&self) -> String;
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Stats {
    pub requests: u64,
    pub python_nanos: u64,
    pub bridge_nanos: u64,
}

/// Why a Lisp callback failed, as Python should see it.
#[derive(Clone, Debug, PartialEq)]
pub enum CallbackFailure {
    /// A Lisp error: Python gets a `RuntimeError` with this text.
    Lisp(String),
    /// A Python exception raised inside the callback's own requests: re-raised as it was.
    Python(HandleId),
    Interrupt,
}

/// The Lisp side, as a running request sees it: Python calling a Lisp callback.
pub trait CallbackHost {
    fn call(
        &mut self,
        id: CallbackId,
        args: Vec<WireValue>,
        kwargs: Vec<(String, WireValue)>,
    ) -> Result<WireValue, CallbackFailure>;
    /// A callback's Python object was freed; the Lisp function may be dropped.
    fn release_callback(&mut self, id: CallbackId);
}
