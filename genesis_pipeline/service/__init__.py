"""The rules of a session, over a unit of work: what a request, a lifecycle command, feedback,
an accept, a stage outcome or a stage failure does (`handlers`), and the one way every outbound
event is built (`announce`). Pure of I/O: the store implements `ports`."""
